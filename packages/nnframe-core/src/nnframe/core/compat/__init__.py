"""The few places nnframe depends on what a library does not promise (private attributes, file
layouts): one module per library, each reach with its reason, the upstream issue and a test."""

"""The pre-flight data check: every file identified from its header, problems reported with their fix, image modes converted."""

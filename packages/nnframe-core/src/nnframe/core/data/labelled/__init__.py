"""Generic labelled image data shared by the tasks: class folders, CSV label files and torchvision's datasets."""

"""battkomp: competence needs and skills gaps of the battery value chain."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("battkomp")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

"""The site's own date formats (FORMAT_MODULE_PATH), where Django's differ from what readers of
a Norwegian site expect."""

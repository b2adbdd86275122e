"""Publishing: protected snapshots of finished runs (the public tables, their building and
storage), the public pages at /published/ and the API operations on them."""

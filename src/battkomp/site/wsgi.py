"""WSGI entry point (gunicorn serves it in the demo and in production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "battkomp.site.settings")
application = get_wsgi_application()

# Load what Django would load on the process's first request (battkomp.site.warm).
from battkomp.site.warm import warm_process  # noqa: E402

warm_process()

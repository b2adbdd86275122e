"""WSGI entry point (gunicorn serves it in the demo and in production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "battkomp.site.settings")
application = get_wsgi_application()

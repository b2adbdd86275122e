"""The background worker: carries out the queued tasks (Django's Tasks API, database backend)
and the periodic upkeep (runs whose worker died), and the named locks that keep claims atomic."""

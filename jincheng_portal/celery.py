import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jincheng_portal.settings")

# The operators' probe tasks are listed here rather than imported, so that
# jincheng_portal.probes can use shared_task without a circular import.
app = Celery("jincheng_portal", include=["jincheng_portal.probes"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _ensure_filesystem_folders(sender, **kwargs):
    # The filesystem transport and result backend need their folders to exist.
    from django.conf import settings

    folders = [
        getattr(settings, "CELERY_QUEUE_DIR", None),
        getattr(settings, "CELERY_PROCESSED_DIR", None),
    ]
    backend = settings.CELERY_RESULT_BACKEND
    if backend.startswith("file://"):
        folders.append(backend.removeprefix("file://"))
    for folder in filter(None, folders):
        os.makedirs(folder, exist_ok=True)

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jincheng_portal.settings")

app = Celery("jincheng_portal")
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


@app.task(name="portal.ping", ignore_result=False)
def ping() -> str:
    """Round trip through the broker; used by the smoke test and by operators."""
    return "pong"


# Operators' and fault tests' probe task (portal.slow_probe).
import jincheng_portal.probes  # noqa: E402,F401

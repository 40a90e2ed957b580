"""Each signed-in user's notifications, at /notifications."""

from flask import Blueprint

bp = Blueprint("inbox", __name__)


@bp.app_context_processor
def _unread_count() -> dict:
    def unread_notification_count() -> int:
        from flask_login import current_user

        from marketplace import notifications

        if not current_user.is_authenticated:
            return 0
        return notifications.unread_count(current_user._get_current_object())

    return {"unread_notification_count": unread_notification_count}


from marketplace.inbox import views  # noqa: E402,F401

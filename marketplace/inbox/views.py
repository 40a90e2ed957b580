from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from marketplace import notifications
from marketplace.extensions import db
from marketplace.inbox import bp

SHOWN = 50


@bp.get("/notifications")
@login_required
def index():
    user = current_user._get_current_object()
    return render_template(
        "inbox/index.html",
        notifications=notifications.for_user(user, limit=SHOWN),
        unread=notifications.unread_count(user),
    )


@bp.post("/notifications/read")
@login_required
def mark_read():
    notifications.mark_read(current_user._get_current_object())
    db.session.commit()
    return redirect(url_for("inbox.index"))

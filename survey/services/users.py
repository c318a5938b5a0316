"""Office accounts: creation, password checks and loading for Flask-Login."""

from __future__ import annotations

from ..extensions import db
from ..models import User


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: an active user by id, or None."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None

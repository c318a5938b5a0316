"""Typed SQLAlchemy 2.0 models: wards, service points, questionnaires, responses and their answers."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time stored as UTC and always read back as an aware UTC datetime, on every database.

    SQLite keeps no offset and hands back naive values; left naive, `astimezone()` would read them in the
    server's own time zone. The column stays DateTime(timezone=True): no schema change. A naive value given
    to the database is taken as UTC, the rule for every stored time here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Channel(StrEnum):
    """How a response reached us."""

    QR = "qr"
    PAPER = "paper"
    KIOSK = "kiosk"
    IMPORT = "import"


class Role(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    VIEWER = "viewer"


class Organisation(db.Model):  # type: ignore[name-defined]
    """A ward (phường/xã); a province's deployment holds many."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(200))
    points: Mapped[list[ServicePoint]] = relationship(back_populates="organisation")


class QuestionnaireVersion(db.Model):  # type: ignore[name-defined]
    """One loaded version of a questionnaire file; responses point at the version they answered."""

    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("kind", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(32))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    questions: Mapped[list[Question]] = relationship(back_populates="questionnaire", order_by="Question.position")

    @property
    def key(self) -> str:
        return f"{self.kind}/v{self.version}"


class Question(db.Model):  # type: ignore[name-defined]
    """A statement or question of one version, numbered so answers can be counted by integer id."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    code: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    # Bit of this statement in Submission.sat_mask/valid_mask; None for non-index questions.
    bit: Mapped[int | None] = mapped_column(SmallInteger)
    questionnaire: Mapped[QuestionnaireVersion] = relationship(back_populates="questions")


class ServicePoint(db.Model):  # type: ignore[name-defined]
    """A counter, a health station or a school: where a QR code is posted."""

    __tablename__ = "service_points"
    __table_args__ = (CheckConstraint("kind IN ('onestop', 'health', 'education')", name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    # Groups points for viewers bound to one unit (a school's principal sees only that school).
    unit: Mapped[str] = mapped_column(String(40), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    organisation: Mapped[Organisation] = relationship(back_populates="points")


class RetiredCode(db.Model):  # type: ignore[name-defined]
    """A point's former code, kept so an old printed QR code gets a clear page instead of a 404."""

    __tablename__ = "retired_codes"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Submission(db.Model):  # type: ignore[name-defined]
    """One citizen's submitted questionnaire; never altered, only flagged."""

    __tablename__ = "responses"
    __table_args__ = (
        CheckConstraint("channel IN ('qr', 'paper', 'kiosk', 'import')", name="channel"),
        Index("ix_responses_period", "day_key", "point_id"),
        # Covering index for the indices' pattern count: GROUP BY version, masks read in index order, no sort.
        Index("ix_responses_patterns", "questionnaire_id", "flagged", "sat_mask", "valid_mask", "day_key",
              "point_id", "verified"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Local (Asia/Ho_Chi_Minh) date as yyyymmdd, so periods are plain integer ranges in SQL.
    day_key: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10), default=Channel.QR.value)
    comment: Mapped[str | None] = mapped_column(Text)
    # A random id from the form: a double tap or a retried POST stores one response.
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str | None] = mapped_column(String(200))
    # Bit i set: statement i (Question.bit) answered 4-5 (sat) / 1-5 (valid); feeds intervals and comprehensive.
    sat_mask: Mapped[int] = mapped_column(BigInteger, default=0)
    valid_mask: Mapped[int] = mapped_column(BigInteger, default=0)
    comment_handled: Mapped[bool] = mapped_column(Boolean, default=False)
    comment_note: Mapped[str | None] = mapped_column(String(500))
    point: Mapped[ServicePoint] = relationship()
    questionnaire: Mapped[QuestionnaireVersion] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")


class Answer(db.Model):  # type: ignore[name-defined]
    """One stored value; scale 0 = no opinion, choice = option position, number = the number."""

    __tablename__ = "answers"
    __table_args__ = (
        # Covering index for the answer counts: (question, value) first so each count is one seek to the
        # period's day range and a GROUP BY question, value reads rows in order (no sort).
        Index("ix_answers_count", "question_id", "value", "day_key", "excluded", "point_id"),
    )
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    # Copies of the response's point, day and flag so counting needs no join over millions of rows.
    point_id: Mapped[int] = mapped_column(Integer)
    day_key: Mapped[int] = mapped_column(Integer)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    response: Mapped[Submission] = relationship(back_populates="answers")


class User(UserMixin, db.Model):  # type: ignore[name-defined]
    """A VHXH office account."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'reviewer', 'viewer')", name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the signed session id (get_id): raising it ends every session of the account, including copied
    # cookies (sign-out, new password, role or unit change, deactivation, re-activation).
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """Flask-Login's session id: "<id>:<session version>", so an old cookie stops matching."""
        return f"{self.id}:{self.session_version}"


class LoginThrottle(db.Model):  # type: ignore[name-defined]
    """Wrong passwords for one (username, network), with growing delays; names and addresses only as keyed hashes.

    No ward: a row exists for any typed name, known or not, so it cannot tell which accounts exist.
    """

    __tablename__ = "login_throttles"
    # HMAC of (lower-case username, hashed network); the network hash itself changes every day.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # HMAC of the lower-case username alone, so an admin can clear every network's delay for one account.
    account: Mapped[str] = mapped_column(String(64), index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """Who did what and when: sign-ins, exports, flags, changes to points and users."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)


class Token(db.Model):  # type: ignore[name-defined]
    """A one-time receipt code, stored only as a hash."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))


class Setting(db.Model):  # type: ignore[name-defined]
    """A ward setting for reports (document number, signer...); absent means left blank."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# --- form drafts ---


class FormDraft(db.Model):  # type: ignore[name-defined]
    """The answers of a paged form between its pages, bound to the form's signed key; never counted anywhere.

    Deleted when the form is sent and purged HAILONG_DRAFT_HOURS after its last change (services.drafts), so a
    citizen's unsent answers live on the server for a day at most; only the page counts of FormPageCount stay.
    """

    __tablename__ = "form_drafts"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    # The served form's key (services.antiabuse.issue_form_key): the response it becomes is stored under it.
    form_key: Mapped[str] = mapped_column(String(64), unique=True)
    # The furthest page shown so far (1-based; page 1 counts from the first button pressed on it).
    page: Mapped[int] = mapped_column(SmallInteger)
    # Field name -> list of posted text values, as validated page by page (radio, checkbox, number, comment).
    answers: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    # Local day the form was first saved: all of one form's page counts go to that day.
    day_key: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    questionnaire: Mapped[QuestionnaireVersion] = relationship()


class FormPageCount(db.Model):  # type: ignore[name-defined]
    """Per day, point, questionnaire version and page: forms that reached the page and forms sent from it.

    What is left of drafts once they are sent or purged: counts only, for the office's "where people give up".
    """

    __tablename__ = "form_page_counts"
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), primary_key=True)
    day_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    page: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    reached: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)

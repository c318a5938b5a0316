"""Typed SQLAlchemy 2.0 models: wards, service points, questionnaires, responses and their answers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from hailong.forms.questionnaire import KINDS

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


def same_ward(a: Any, b: Any) -> ColumnElement[bool]:
    """`a.organisation_id = b.organisation_id`, which every join of two ward tables carries beside its key: Citus
    then runs the join on one shard (README, "Beyond one machine"; tests/tenancy/test_ward_joins.py checks it)."""
    equal: ColumnElement[bool] = a.organisation_id == b.organisation_id
    return equal


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
    # Read-only across every ward of one province (the Sở Nội vụ); the only account without a ward.
    PROVINCE = "province"


class CacheVersion(db.Model):  # type: ignore[name-defined]
    """A token that database triggers change with every change to the data a worker keeps in memory.

    Global, not per ward: a bare citizen address is resolved across every ward's points (migration 0013_writepath).
    One row, 'citizen'; the figures' token is per ward (FiguresToken).
    """

    __tablename__ = "cache_versions"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger)


class FiguresToken(db.Model):  # type: ignore[name-defined]
    """A ward's 'figures' token: a new random number whenever one of its responses is deleted or changes a counted
    column (triggers of migration 0017_ward_figures) or its rollups are rebuilt; figures kept from the ward's rows
    (rollup pieces, report files, the province's stored figures) are current only while it is unchanged.

    Per ward, so a flag in one ward leaves every other ward's kept figures current; a ward without a row reads 0.
    """

    __tablename__ = "figures_tokens"
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger)


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
    __table_args__ = (
        # The text the migration created: "kind IN ('onestop', 'health', 'education')".
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in KINDS)})", name="kind"),
        # Codes are unique within a ward; the ward comes first (a Citus distribution column must be in it).
        UniqueConstraint("organisation_id", "code"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    code: Mapped[str] = mapped_column(String(40))
    # The point owns the bare citizen URL /s/<code>: every point that existed before wards were tenants
    # (migration 0009), and a new point whose code no other point of any ward had. Its posters keep opening it
    # even when another ward later takes the same code; other points are reached by /s/<ward>/<code>.
    short_url: Mapped[bool] = mapped_column(Boolean, default=False)
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
    # A code is retired within its ward: another ward may have (or retire) a point of the same code.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Submission(db.Model):  # type: ignore[name-defined]
    """One citizen's submitted questionnaire; never altered, only flagged."""

    __tablename__ = "responses"
    __table_args__ = (
        CheckConstraint("channel IN ('qr', 'paper', 'kiosk', 'import')", name="channel"),
        Index("ix_responses_period", "day_key", "point_id"),
        # Covering index for the pattern counts of one ward's period read raw (a point's figures, verified
        # only): the ward and its days first, so it is one narrow range whatever the other wards hold.
        Index("ix_responses_patterns", "organisation_id", "day_key", "questionnaire_id", "flagged", "sat_mask",
              "valid_mask", "point_id", "verified"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # The point's ward, copied so a ward's rows are one index range (and the Citus distribution column).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
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
        # Covering index for the answer counts read raw (some points of one ward): the ward, then (question,
        # value) so each count is one seek to the ward's period and a GROUP BY reads rows in order (no sort).
        Index("ix_answers_count", "organisation_id", "question_id", "value", "day_key", "excluded", "point_id"),
    )
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    # Copies of the response's ward, point, day and flag so counting needs no join over millions of rows.
    organisation_id: Mapped[int] = mapped_column(Integer)
    point_id: Mapped[int] = mapped_column(Integer)
    day_key: Mapped[int] = mapped_column(Integer)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    response: Mapped[Submission] = relationship(back_populates="answers")


class AnswerRollup(db.Model):  # type: ignore[name-defined]
    """Non-excluded answers per ward, day and (question, value); services.rollups keeps it exact.

    `day_key` is a local day (yyyymmdd) or, for the month's total, yyyymm00: a multi-month span reads whole
    months from one row each and only its partial months' days. Only services.rollups reads or writes it.
    """

    __tablename__ = "answer_rollups"
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    day_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class PatternRollup(db.Model):  # type: ignore[name-defined]
    """Unflagged responses per ward, day (or month, as in AnswerRollup), version and (sat_mask, valid_mask)."""

    __tablename__ = "pattern_rollups"
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    day_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sat_mask: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    valid_mask: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class User(UserMixin, db.Model):  # type: ignore[name-defined]
    """A VHXH office account."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'reviewer', 'viewer', 'province')", name="role"),
        # A ward account has a ward; a province account has a province instead (and no ward).
        CheckConstraint("(role = 'province') = (organisation_id IS NULL)", name="ward"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # The ward whose data the account sees; None only for the province role.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # For the province role: the province whose wards it reads (organisations.province).
    province: Mapped[str | None] = mapped_column(String(200))
    organisation: Mapped[Organisation | None] = relationship()
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
    __table_args__ = (
        # The ward's events in id order: its newest one (the public page's freshness) is the end of its range.
        Index("ix_audit_events_ward", "organisation_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # The ward the event belongs to; None for events of no ward (a sign-in failure, a province account's act).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
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
    #: Copied from the point, as on responses and answers: every row a ward owns names its ward (Citus plan).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))


class Setting(db.Model):  # type: ignore[name-defined]
    """A ward setting for reports (document number, signer...); absent means left blank."""

    __tablename__ = "settings"
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# --- pakn ---


class PaknStatus(StrEnum):
    """Where a PAKN item stands (the state machine is services.pakn.TRANSITIONS)."""

    NEW = "new"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    TRANSFERRED = "transferred"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    PENDING = "pending_approval"
    PUBLISHED = "published"
    CLOSED = "closed"
    REOPENED = "reopened"


class PaknChannel(StrEnum):
    """How a PAKN item reached the ward: one register for every channel (Quyết định 31/2021/QĐ-TTg)."""

    FORM = "form"
    SURVEY = "survey"
    PAPER = "paper"
    PHONE = "phone"
    EMAIL = "email"
    PORTAL = "portal"
    DIRECT = "direct"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class PaknUnit(db.Model):  # type: ignore[name-defined]
    """A unit that handles PAKN items (its code is the `unit` of points and viewer accounts) and its e-mail."""

    __tablename__ = "pakn_units"
    __table_args__ = (UniqueConstraint("organisation_id", "code", name="uq_pakn_units_organisation_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    # Receives the daily digest of every overdue item of the ward, not only its own (the VHXH office).
    digest_all: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PaknItem(db.Model):  # type: ignore[name-defined]
    """One phản ánh, kiến nghị in the ward's register, from any channel, with its handling and published reply."""

    __tablename__ = "pakn_items"
    __table_args__ = (
        CheckConstraint(_in("status", PaknStatus), name="status"),
        CheckConstraint(_in("channel", PaknChannel), name="channel"),
        CheckConstraint("classification IN ('accepted', 'rejected', 'transferred')", name="classification"),
        CheckConstraint("rating IN ('satisfied', 'unsatisfied')", name="rating"),
        Index("ix_pakn_items_register", "organisation_id", "status", "due_on"),
        Index("ix_pakn_items_received", "organisation_id", "received_day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"), index=True)
    # The kind of service it is about (the point's kind; chosen by staff for items without a point).
    kind: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Local (Asia/Ho_Chi_Minh) date of receipt as yyyymmdd, so periods are integer ranges as for responses.
    received_day: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # Contact, only with the citizen's consent (Decree 13/2023), deleted on contact_purge_on by `hailong pakn purge`.
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_purge_on: Mapped[date | None] = mapped_column(Date, index=True)
    contact_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Keyed hashes: of the tracking code the citizen holds, and of the served form's key (one item per form).
    tracking_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    form_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The survey response whose comment became this item.
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=PaknStatus.NEW.value)
    classification: Mapped[str | None] = mapped_column(String(20))
    classification_note: Mapped[str | None] = mapped_column(String(500))
    agency: Mapped[str | None] = mapped_column(String(200))
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_unit: Mapped[str | None] = mapped_column(String(40), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_on: Mapped[date] = mapped_column(Date)
    draft_reply: Mapped[str | None] = mapped_column(Text)
    drafted_by: Mapped[str | None] = mapped_column(String(80))
    drafted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the public sees: the question and the reply as the admin checked them, personal data masked.
    published_question: Mapped[str | None] = mapped_column(Text)
    published_reply: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The first publication: whether the reply came on time is measured to it.
    first_replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whether that first reply came by the deadline in force then (a reopened item gets a new deadline).
    first_reply_on_time: Mapped[bool | None] = mapped_column(Boolean)
    rating: Mapped[str | None] = mapped_column(String(20))
    rating_reason: Mapped[str | None] = mapped_column(String(500))
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_reason: Mapped[str | None] = mapped_column(String(500))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Suspicious (honeypot, sent too fast): kept and shown, left out of the numbers until a reviewer clears it.
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    point: Mapped[ServicePoint | None] = relationship()


class PaknEvent(db.Model):  # type: ignore[name-defined]
    """One step in an item's history: who moved it from which state to which, and when (also in the audit log)."""

    __tablename__ = "pakn_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("pakn_items.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)


class PaknCalendarDay(db.Model):  # type: ignore[name-defined]
    """A ward's own change to the working calendar: an extra day off, or a make-up working day."""

    __tablename__ = "pakn_calendar_days"
    __table_args__ = (UniqueConstraint("organisation_id", "day", name="uq_pakn_calendar_days_organisation_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(200))


class PaknDeadlineRule(db.Model):  # type: ignore[name-defined]
    """A ward's deadline for one category: so many working days, or calendar days moved to a working day."""

    __tablename__ = "pakn_deadline_rules"
    __table_args__ = (
        UniqueConstraint("organisation_id", "category", name="uq_pakn_deadline_rules_organisation_category"),
        CheckConstraint("days BETWEEN 1 AND 365", name="days"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    days: Mapped[int] = mapped_column(Integer)
    working: Mapped[bool] = mapped_column(Boolean)


class PaknMail(db.Model):  # type: ignore[name-defined]
    """An e-mail to send, written in the transaction of the change it reports and sent after the commit."""

    __tablename__ = "pakn_mail"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("pakn_items.id", ondelete="SET NULL"), index=True)
    # unit (assignment), citizen (reply published) or digest (overdue items).
    purpose: Mapped[str] = mapped_column(String(20))
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))


# --- public ---


class PublicSetting(db.Model):  # type: ignore[name-defined]
    """What a ward publishes on /cong-khai for one kind of service; no row means nothing is published."""

    __tablename__ = "public_settings"
    __table_args__ = (
        UniqueConstraint("organisation_id", "kind"),
        CheckConstraint("kind IN ('onestop', 'health', 'education')", name="kind"),
        # Fewer than 10 answers is not a figure to publish, whatever an admin types.
        CheckConstraint("min_n >= 10", name="min_n"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # True: the current quarter is shown as it fills ("tạm tính"); False: closed quarters only.
    live: Mapped[bool] = mapped_column(Boolean, default=True)
    min_n: Mapped[int] = mapped_column(Integer, default=30)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(80))


# --- numbers ---


class PopulationMargin(db.Model):  # type: ignore[name-defined]
    """A ward's population in one category of one profile dimension (sex or age group), the target of raking."""

    __tablename__ = "population_margins"
    __table_args__ = (
        UniqueConstraint("organisation_id", "dimension", "category"),
        CheckConstraint("population >= 0", name="population"),
        CheckConstraint("dimension IN ('gender', 'age_group')", name="dimension"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # The profile question's code and one of its option codes, e.g. ("age_group", "over_60").
    dimension: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40))
    population: Mapped[int] = mapped_column(Integer)
    # Where the figure comes from (census 2019, the ward's register of 2026...), printed next to weighted figures.
    source: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(80))


class PublicSnapshot(db.Model):  # type: ignore[name-defined]
    """The last published figures of a ward, shared by every worker when there is no Redis (a cache, not a record).

    `locked_until` is the single-flight lock: the worker that sets it recomputes, the others serve this copy.
    """

    __tablename__ = "public_snapshots"
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    # What the figures were computed from ("<ward's last response id>:<last audit event id>:<local date>").
    fingerprint: Mapped[str] = mapped_column(String(120), default="")
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payload: Mapped[str | None] = mapped_column(Text)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- paper ---


class PaperState(StrEnum):
    """Where a printed paper form stands on its way to a stored response."""

    ISSUED = "issued"  # printed, nothing entered yet
    ENTERED = "entered"  # one clerk entered it; waits for a second clerk
    CONFLICT = "conflict"  # two entries differ; waits for a reviewer
    STORED = "stored"  # stored once as a response (channel paper)


class PaperSerial(db.Model):  # type: ignore[name-defined]
    """One printed paper form: its serial (also in its QR code), ward, point, kind and questionnaire version.

    Only issued serials can be entered, and each becomes at most one response, whose submission key is derived
    from the serial's id (so the same form can never be stored twice).
    """

    __tablename__ = "paper_serials"
    __table_args__ = (
        # Column order gives each constraint its own conventional name (uq_<table>_<first column>).
        UniqueConstraint("serial", "organisation_id"),
        UniqueConstraint("number", "organisation_id"),
        CheckConstraint("state IN ('issued', 'entered', 'conflict', 'stored')", name="state"),
        CheckConstraint("kind IN ('onestop', 'health', 'education')", name="kind"),
        # The ward's forms by state: the office's lists of forms waiting for a second clerk or a reviewer.
        Index("ix_paper_serials_organisation_id_state", "organisation_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # None: a form for any point of its kind; the clerk then enters which point the citizen ticked.
    point_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"))
    kind: Mapped[str] = mapped_column(String(20))
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    # The ward's running number of the form; `serial` is it zero-padded plus a Damm check digit.
    number: Mapped[int] = mapped_column(Integer)
    serial: Mapped[str] = mapped_column(String(20))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(10), default=PaperState.ISSUED.value)
    organisation: Mapped[Organisation] = relationship()
    point: Mapped[ServicePoint | None] = relationship()
    questionnaire: Mapped[QuestionnaireVersion] = relationship()
    entries: Mapped[list[PaperEntry]] = relationship(back_populates="paper", order_by="PaperEntry.round")

    @property
    def submission_key(self) -> str:
        """The stored response's key: one per serial, so a repeated store is recognised, never doubled."""
        return f"paper:{self.id}"


class PaperEntry(db.Model):  # type: ignore[name-defined]
    """What one clerk typed from one paper form (round 1 or 2); kept as the record of double entry."""

    __tablename__ = "paper_entries"
    __table_args__ = (
        UniqueConstraint("paper_id", "round"),
        # The same clerk can never be both entries of one form.
        UniqueConstraint("user_id", "paper_id"),
        CheckConstraint("round IN (1, 2)", name="round"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper_serials.id"))
    round: Mapped[int] = mapped_column(SmallInteger)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Field code -> the canonical typed value ("4", "0", "1,3", a date, the comment); skipped fields are absent.
    fields: Mapped[dict[str, str]] = mapped_column(JSON)
    paper: Mapped[PaperSerial] = relationship(back_populates="entries")
    user: Mapped[User] = relationship()


class PaperSetting(db.Model):  # type: ignore[name-defined]
    """A ward's paper-form rules; no row means the defaults (double entry required)."""

    __tablename__ = "paper_settings"
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    # True: a form counts only once two clerks agree (or a reviewer resolved them); False: the first entry counts.
    double_entry: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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
    # The ward leads the key, as Citus needs of a table distributed by ward (migration 0017_ward_figures).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), primary_key=True)
    day_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    page: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    reached: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)


class GeneratedReport(db.Model):  # type: ignore[name-defined]
    """A periodic report that was generated, so the dashboard can say which deadlines are met."""

    __tablename__ = "generated_reports"
    __table_args__ = (Index("ix_generated_reports_period", "organisation_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # The period's label with its window, e.g. "2026-Q4@report" (analysis.periods.parse_period reads it back).
    period: Mapped[str] = mapped_column(String(40))
    window: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str | None] = mapped_column(String(20))  # None: every kind in one report
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    generated_by: Mapped[str] = mapped_column(String(80))


# --- kiosk tablets and officer ratings ---


class OfficerLevel(StrEnum):
    """The three levels of Thông tư 01/2018/TT-VPCP for the officer who served."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"


class Desk(db.Model):  # type: ignore[name-defined]
    """A counter (quầy) of a service point, with its own QR poster and possibly a kiosk tablet."""

    __tablename__ = "desks"
    __table_args__ = (UniqueConstraint("point_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    # Lower-case letters, digits and hyphens; the last part of the desk's address /s/<point>/quay/<code>.
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    point: Mapped[ServicePoint] = relationship()


class RosterEntry(db.Model):  # type: ignore[name-defined]
    """Which officer (not a login account) serves a desk from one local day to another, both included."""

    __tablename__ = "roster_entries"
    __table_args__ = (
        CheckConstraint("end_day >= start_day", name="days"),
        Index("ix_roster_entries_desk_days", "desk_id", "start_day", "end_day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id"))
    officer_name: Mapped[str] = mapped_column(String(120))
    officer_title: Mapped[str | None] = mapped_column(String(120))
    start_day: Mapped[date] = mapped_column(Date)
    end_day: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    desk: Mapped[Desk] = relationship()


class KioskPairing(db.Model):  # type: ignore[name-defined]
    """A one-time pairing code shown in the office, kept only as a keyed hash; used once, valid for minutes."""

    __tablename__ = "kiosk_pairings"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    desk_id: Mapped[int | None] = mapped_column(ForeignKey("desks.id"))
    name: Mapped[str] = mapped_column(String(80))
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class KioskDevice(db.Model):  # type: ignore[name-defined]
    """A tablet paired with a point (or a desk); its signed cookie names this row and a secret only its hash is of."""

    __tablename__ = "kiosk_devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    desk_id: Mapped[int | None] = mapped_column(ForeignKey("desks.id"))
    name: Mapped[str] = mapped_column(String(80))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last answers stored from this device (rating or form), for the minimum gap and the burst flag.
    last_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    point: Mapped[ServicePoint] = relationship()
    desk: Mapped[Desk | None] = relationship()


class OfficerRating(db.Model):  # type: ignore[name-defined]
    """One citizen's three-level rating of a desk and of the officer on duty there that (local) day."""

    __tablename__ = "officer_ratings"
    __table_args__ = (
        CheckConstraint(_in("level", OfficerLevel), name="level"),
        CheckConstraint("channel IN ('qr', 'kiosk')", name="channel"),
        Index("ix_officer_ratings_period", "organisation_id", "day_key"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    desk_id: Mapped[int | None] = mapped_column(ForeignKey("desks.id"))
    # The roster entry on duty when it was given, and the officer's name as it was then (a later edit of the
    # roster does not move ratings already given).
    roster_id: Mapped[int | None] = mapped_column(ForeignKey("roster_entries.id", ondelete="SET NULL"))
    officer_name: Mapped[str | None] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(20))
    # Reason chips chosen (codes joined by ","), and an optional short text.
    reasons: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(String(500))
    channel: Mapped[str] = mapped_column(String(10))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_devices.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    day_key: Mapped[int] = mapped_column(Integer)
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str | None] = mapped_column(String(200))


# --- background jobs (RQ) ---


class JobKind(StrEnum):
    """What a background job makes."""

    PROVINCE_REPORT_PDF = "province_report_pdf"
    PROVINCE_EXPORT_CSV = "province_export_csv"
    #: A ward's own period report (services.ward_reports), asked from the ward's dashboard.
    WARD_REPORT_PDF = "ward_report_pdf"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class FileRemoval(StrEnum):
    """Why a finished job's file is no longer kept (report_jobs.file_deleted_reason)."""

    #: Deleted by `hailong jobs prune` (or the worker's own pruning) once its retention period ended.
    EXPIRED = "expired"
    #: Not found where the row said (deleted by hand, a disk restored without it); the row was marked so.
    MISSING = "missing"


#: The rows whose file is kept (done, not yet removed): the retention's one query reads only these.
KEPT_FILE = "file_path IS NOT NULL AND file_deleted_at IS NULL"


class ReportJob(db.Model):  # type: ignore[name-defined]
    """A report or export made by `hailong worker` off the request; its file stays in the instance folder."""

    __tablename__ = "report_jobs"
    __table_args__ = (
        CheckConstraint(_in("kind", JobKind), name="kind"),
        CheckConstraint(_in("status", JobStatus), name="status"),
        CheckConstraint(_in("file_deleted_reason", FileRemoval), name="file_deleted_reason"),
        Index("ix_report_jobs_province_created", "province", "created_at"),
        # Partial: only the rows whose file is still kept (a retention period's worth), never the history.
        Index("ix_report_jobs_kept_files", "finished_at", sqlite_where=text(KEPT_FILE),
              postgresql_where=text(KEPT_FILE)),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # The ward when a ward asks; NULL for a province's job, which spans every ward of `province` and so belongs
    # to none (as users.organisation_id of a province account). Every ward-scoped job keeps its ward here, so a
    # ward's rows stay filterable (and distributable by ward) like every other table's.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # The province whose wards the job reads (organisations.province); a province account sees its province's jobs.
    province: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    # The period's label with its window, e.g. "2026-Q1@report" (analysis.periods.parse_period reads it back).
    period: Mapped[str] = mapped_column(String(40))
    # An export's or a ward report's service kind (onestop, health, education); None: every kind.
    service_kind: Mapped[str | None] = mapped_column(String(20))
    # A ward report with the annex per officer (personnel data): only the ward's admins see such a job.
    officer_annex: Mapped[bool] = mapped_column(Boolean, default=False)
    # What a ward report's file was made from (services.ward_reports.mark), read by the worker just before it
    # builds; a later ask with the same mark gets this file instead of a new job.
    data_mark: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED.value)
    # Units of work done and to do (wards, or wards × kinds for the report); total is 0 until the job starts.
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    # Why it failed, in Vietnamese for the office (never a citizen's text or a traceback).
    error: Mapped[str | None] = mapped_column(Text)
    # The finished file, relative to the instance folder (jobs/<id>-<name>); None until done. Kept after the file
    # is deleted: who asked for what, and what was made, stays an audit fact.
    file_path: Mapped[str | None] = mapped_column(String(300))
    # When the file stopped being kept and why (services.job_files: its retention period ended, or it was found
    # missing); both None while it is kept. The row is marked before the file is deleted, never after.
    file_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    file_deleted_reason: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requester: Mapped[User] = relationship()


class ProvinceSnapshot(db.Model):  # type: ignore[name-defined]
    """A province roll-up of one period and kind as the page shows it, stored so no visit computes it (a cache).

    Tenancy as `report_jobs`: a row spans every ward of `province` and so belongs to none, hence organisation_id
    NULL, the province account's own scope (users.organisation_id NULL, users.province); the column stays so a
    ward-scoped figure stored here later carries its ward like every other table's rows. Only a province account of
    `province` reads these rows (services.province_snapshots filters by the account's province); no ward page reads
    them. `payload` is the JSON the page renders (services.province_snapshots.SCHEMA), including what it was computed
    from (its marks), which the freshness check compares with the database.
    """

    __tablename__ = "province_snapshots"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in KINDS)})", name="kind"),
        UniqueConstraint("province", "period", "kind", name="uq_province_snapshots_scope"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    province: Mapped[str] = mapped_column(String(200))
    # The period's label as the page asks for it ("2026-Q1", "2026-Q4@report", "2026-01-01..2026-02-14").
    period: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[str] = mapped_column(Text)

"""Login, logout and invitations (setting a password through a single-use link)."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from limits import parse
from werkzeug.wrappers import Response
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.accounts import accounts
from portal.accounts import totp as second_factor
from portal.accounts.models import User
from portal.accounts.passwords import MIN_LENGTH
from portal.core import clock
from portal.core.errors import DomainError
from portal.core.roles import home_endpoint
from portal.core.secrets_at_rest import keyed_digest
from portal.extensions import db, limiter
from portal.web import audit_trail
from portal.web.forms import FlaskForm, apply_domain_error
from portal.web.guards import safe_next

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("パスワード"), validators=[DataRequired()])
    remember = BooleanField(_l("このブラウザでログインしたままにする"), default=False)


class CodeForm(FlaskForm):
    code = StringField(_l("確認コード（6桁）"), validators=[DataRequired(), Length(max=12)])


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("新しいパスワード"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=200)]
    )
    confirm = PasswordField(
        _l("新しいパスワード（確認）"),
        validators=[DataRequired(), EqualTo("password", message=_l("パスワードが一致しません。"))],
    )


def _over_limit(email: str) -> bool:
    """Failed logins are counted per account and per address; either limit stops the next try."""
    cfg = current_app.config
    store = limiter.limiter
    return not (
        store.test(parse(cfg["LOGIN_LIMIT_PER_ACCOUNT"]), "login-account", keyed_digest(email))
        and store.test(
            parse(cfg["LOGIN_LIMIT_PER_ADDRESS"]), "login-address", request.remote_addr or ""
        )
    )


def _count_failure(email: str) -> None:
    cfg = current_app.config
    store = limiter.limiter
    store.hit(parse(cfg["LOGIN_LIMIT_PER_ACCOUNT"]), "login-account", keyed_digest(email))
    store.hit(parse(cfg["LOGIN_LIMIT_PER_ADDRESS"]), "login-address", request.remote_addr or "")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    target = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for(home_endpoint(current_user)))
    form = LoginForm()
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data or "")
        if _over_limit(email):
            form.form_errors.append(
                _(
                    "ログインの試行回数が上限に達しました。15分ほど待ってから、もう一度お試しください。"
                )
            )
            audit_trail.login_failed(accounts.find_user(db.session, email), reason="locked")
            return render_template("auth/login.html", form=form, next=target), 429
        user = accounts.authenticate(db.session, email, form.password.data or "")
        if user is None:
            _count_failure(email)
            db.session.rollback()
            audit_trail.login_failed(accounts.find_user(db.session, email))
            # One message whether the account exists or not.
            form.form_errors.append(_("メールアドレスまたはパスワードが正しくありません。"))
            return render_template("auth/login.html", form=form, next=target), 200
        if second_factor.required_for(user):
            # The password was right; the session is not signed in until the code is.
            session["login_pending"] = {
                "uid": user.id,
                "ver": user.session_version,
                "remember": bool(form.remember.data),
                "next": target,
                "at": clock.timestamp(),
            }
            audit_trail.login_succeeded(user, step="password")
            return redirect(url_for("auth.totp_setup" if not user.totp_secret else "auth.totp"))
        login_user(user, remember=bool(form.remember.data))
        audit_trail.login_succeeded(user)
        return redirect(target or url_for(home_endpoint(user)))
    return render_template("auth/login.html", form=form, next=target)


PENDING_SECONDS = 300


def _pending_user() -> tuple[User, dict] | None:
    """The account whose password was just accepted, if that was less than 5 minutes ago."""
    pending = session.get("login_pending")
    if not pending or clock.timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop("login_pending", None)
        return None
    user = db.session.get(User, pending["uid"])
    if user is None or not user.active or user.session_version != pending["ver"]:
        session.pop("login_pending", None)
        return None
    return user, pending


def _finish_login(user: User, pending: dict) -> Response:
    session.pop("login_pending", None)
    session.pop("totp_enrol_secret", None)
    login_user(user, remember=pending["remember"])
    audit_trail.totp_succeeded(user)
    return redirect(safe_next(pending.get("next")) or url_for(home_endpoint(user)), 303)


def _restart() -> Response:
    flash(_("時間が経ったため、もう一度パスワードからログインしてください。"), "warning")
    return redirect(url_for("auth.login"), 303)


@bp.route("/login/code", methods=["GET", "POST"])
def totp() -> Response | str | tuple[str, int]:
    found = _pending_user()
    if found is None:
        return _restart()
    user, pending = found
    if not user.totp_secret:
        return redirect(url_for("auth.totp_setup"))
    form = CodeForm()
    if form.validate_on_submit():
        key = str(user.id)
        if _over_limit(key):
            form.form_errors.append(
                _(
                    "ログインの試行回数が上限に達しました。15分ほど待ってから、もう一度お試しください。"
                )
            )
            audit_trail.totp_failed(user, reason="locked")
            return render_template("auth/totp.html", form=form), 429
        if second_factor.verify(user, form.code.data or ""):
            return _finish_login(user, pending)
        db.session.rollback()
        _count_failure(key)
        audit_trail.totp_failed(user)
        apply_domain_error(
            form,
            DomainError(_l("確認コードが正しくないか、すでに使われています。"), field="code"),
        )
    return render_template("auth/totp.html", form=form)


@bp.route("/login/code/setup", methods=["GET", "POST"])
def totp_setup() -> Response | str | tuple[str, int]:
    found = _pending_user()
    if found is None:
        return _restart()
    user, pending = found
    if user.totp_secret:
        return redirect(url_for("auth.totp"))
    secret = session.get("totp_enrol_secret") or second_factor.new_secret()
    session["totp_enrol_secret"] = secret
    form = CodeForm()
    if form.validate_on_submit():
        try:
            second_factor.enrol(db.session, user, secret, form.code.data or "")
        except DomainError as e:
            apply_domain_error(form, e)
            audit_trail.totp_failed(user, reason="enrol")
        else:
            flash(
                _("確認コードアプリを登録しました。次回からはログインのたびにコードを入力します。"),
                "success",
            )
            return _finish_login(user, pending)
    uri = second_factor.provisioning_uri(user, secret)
    return render_template(
        "auth/totp_setup.html",
        form=form,
        qr=second_factor.qr_svg_data_uri(uri),
        secret=second_factor.grouped(secret),
    )


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        audit_trail.logged_out(current_user)
    logout_user()
    flash(_("ログアウトしました。"), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str) -> Response | str | tuple[str, int]:
    try:
        inv = accounts.find_invitation(db.session, token)
    except DomainError as e:
        return render_template("auth/invitation_invalid.html", message=str(e.message)), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(db.session, token, form.password.data or "")
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            logout_user()
            login_user(user)
            flash(_("パスワードを設定しました。"), "success")
            return redirect(url_for(home_endpoint(user)), 303)
    return render_template("auth/invitation.html", form=form, invited=inv.user)

"""Login, logout and invitations (setting a password through a single-use link)."""

from __future__ import annotations

import hashlib

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
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.accounts import accounts, recovery
from portal.accounts import sessions as user_sessions
from portal.accounts import totp as second_factor
from portal.accounts.models import InvitationKind, User
from portal.accounts.passwords import MIN_LENGTH, verify_password
from portal.core import clock
from portal.core.errors import DomainError
from portal.core.links import public_url
from portal.core.mail import send_mail
from portal.core.roles import Role, home_endpoint
from portal.extensions import db, limiter
from portal.web import uow
from portal.web.forms import FlaskForm, apply_domain_error
from portal.web.guards import safe_next

bp = Blueprint("auth", __name__)

# The key in Flask's cookie that holds the server-side session's id (portal.accounts.sessions).
SESSION_ID_KEY = "sid"


class LoginForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("パスワード"), validators=[DataRequired()])


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


def _limit_key(value: str) -> str:
    """Rate-limit keys never hold an e-mail address in clear (Redis is not for personal data)."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _over_limit(email: str) -> bool:
    """Failed logins are counted per account and per address; either limit stops the next try."""
    cfg = current_app.config
    store = limiter.limiter
    return not (
        store.test(parse(cfg["LOGIN_LIMIT_PER_ACCOUNT"]), "login-account", email)
        and store.test(
            parse(cfg["LOGIN_LIMIT_PER_ADDRESS"]), "login-address", request.remote_addr or ""
        )
    )


def _count_failure(email: str) -> None:
    cfg = current_app.config
    store = limiter.limiter
    store.hit(parse(cfg["LOGIN_LIMIT_PER_ACCOUNT"]), "login-account", email)
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
            return render_template("auth/login.html", form=form, next=target), 429
        user = accounts.authenticate(db.session, email, form.password.data or "")
        if user is None:
            _count_failure(email)
            db.session.rollback()
            # One message whether the account exists or not.
            form.form_errors.append(_("メールアドレスまたはパスワードが正しくありません。"))
            return render_template("auth/login.html", form=form, next=target), 200
        if second_factor.required_for(user):
            if not user.totp_secret:
                # The password alone never enrols a second factor: that takes the
                # invitation, or an enrolment link an administrator issues (reset-totp).
                form.form_errors.append(
                    _(
                        "確認コードアプリがまだ登録されていません。招待メールのリンク、"
                        "または管理者が発行する登録用リンクから登録してください。"
                    )
                )
                return render_template("auth/login.html", form=form, next=target), 200
            # The password was right; the session is not signed in until the code is.
            _pend(user, target)
            return redirect(url_for("auth.totp"))
        sign_in(user)
        return redirect(target or url_for(home_endpoint(user)))
    return render_template("auth/login.html", form=form, next=target)


PENDING_SECONDS = 300


def _pend(user: User, target: str | None, *, enrol: bool = False) -> None:
    """The password step is done; the code step (or, through an invitation or an enrolment
    link only, the authenticator's enrolment) comes next."""
    session["login_pending"] = {
        "uid": user.id,
        "ver": user.session_version,
        "next": target,
        "at": clock.timestamp(),
        "enrol": enrol,
    }


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


def sign_in(user: User) -> None:
    """Start a new server-side session (a fresh id: nothing from before the sign-in, such as
    the pending password step, carries over) and sign the browser in with it. Never with
    Flask-Login's remember cookie: the server record is the only thing that keeps a login.
    A donor look-up open in the same browser (its own session, portal.web.donor.scope) stays."""
    donor = session.get("donor")
    session.clear()
    if donor:
        session["donor"] = donor
    session[SESSION_ID_KEY] = user_sessions.start(
        db.session,
        user,
        ip=request.remote_addr or "",
        user_agent=request.user_agent.string,
    )
    # A supplier's cookie outlives the browser (bounded by the server's 30 days and 8 idle
    # hours); a staff member's ends with the browser.
    session.permanent = user.role == Role.SUPPLIER
    login_user(user, remember=False)


def _finish_login(user: User, pending: dict) -> Response:
    sign_in(user)
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
            return render_template("auth/totp.html", form=form), 429
        code = form.code.data or ""
        if second_factor.verify(db.session, user, code) or recovery.use(db.session, user, code):
            if recovery.looks_like_one(code):
                flash(
                    _(
                        "回復用コードを1つ使いました。残り%(n)d個です。",
                        n=recovery.remaining(db.session, user),
                    ),
                    "warning",
                )
            return _finish_login(user, pending)
        db.session.rollback()
        _count_failure(key)
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
    if not pending.get("enrol"):
        return _restart()
    secret = session.get("totp_enrol_secret") or second_factor.new_secret()
    session["totp_enrol_secret"] = secret
    form = CodeForm()
    if form.validate_on_submit():
        try:
            second_factor.enrol(db.session, user, secret, form.code.data or "")
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            codes = recovery.issue(db.session, user)
            sign_in(user)
            # Shown this once, in this response; only their hashes are kept.
            return render_template(
                "auth/recovery_codes.html",
                codes=codes,
                target=safe_next(pending.get("next")) or url_for(home_endpoint(user)),
            )
    uri = second_factor.provisioning_uri(user, secret)
    return render_template(
        "auth/totp_setup.html",
        form=form,
        qr=second_factor.qr_svg_data_uri(uri),
        secret=second_factor.grouped(secret),
    )


@bp.post("/logout")
def logout() -> Response:
    user_sessions.revoke(db.session, session.get(SESSION_ID_KEY))
    logout_user()
    session.clear()
    flash(_("ログアウトしました。"), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str) -> Response | str | tuple[str, int]:
    try:
        inv = accounts.find_invitation(db.session, token)
    except DomainError as e:
        return render_template("auth/invitation_invalid.html", message=str(e.message)), 410
    if inv.kind == InvitationKind.TOTP:
        return _enrolment_link(token, inv.user)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(db.session, token, form.password.data or "")
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            logout_user()
            flash(_("パスワードを設定しました。"), "success")
            if second_factor.required_for(user) and not user.totp_secret:
                session.clear()
                _pend(user, None, enrol=True)  # staff: the authenticator next, then signed in
                return redirect(url_for("auth.totp_setup"), 303)
            sign_in(user)
            return redirect(url_for(home_endpoint(user)), 303)
    return render_template("auth/invitation.html", form=form, invited=inv.user)


class EnrolmentForm(FlaskForm):
    password = PasswordField(_l("パスワード"), validators=[DataRequired()])


def _enrolment_link(token: str, invited: User) -> Response | str | tuple[str, int]:
    """An administrator's enrolment link after a TOTP reset: the user proves it is them with
    their password, then enrols a new authenticator."""
    form = EnrolmentForm()
    if form.validate_on_submit():
        try:
            user = accounts.accept_enrolment_link(db.session, token, form.password.data or "")
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            logout_user()
            session.clear()
            _pend(user, None, enrol=True)
            return redirect(url_for("auth.totp_setup"), 303)
    return render_template("auth/enrolment_link.html", form=form, invited=invited), (
        422 if form.errors else 200
    )


# --- the user's own account: password, sessions ---------------------------------------------


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(_l("現在のパスワード"), validators=[DataRequired()])


def _signed_in() -> Response | None:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    return None


def account() -> Response | str | tuple[str, int]:
    """The signed-in user's own page: change the password, see and end sessions."""
    if (gone := _signed_in()) is not None:
        return gone
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_own_password(
                db.session, user, form.current.data or "", form.password.data or ""
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            # Every other session of this user ends; this one goes on under the new password.
            user_sessions.revoke_all(db.session, user, keep=session.get(SESSION_ID_KEY))
            login_user(user, remember=False)  # the stored id carries the new session version
            flash(
                _("パスワードを変更しました。ほかのブラウザのログインは終了しました。"), "success"
            )
            return redirect(url_for("auth.account"), 303)
    return render_template(
        "auth/account.html",
        form=form,
        confirm_form=ConfirmPasswordForm(formdata=None),
        recovery_left=recovery.remaining(db.session, user) if user.totp_secret else None,
        sessions=user_sessions.live_sessions(db.session, user),
        current_hash=user_sessions.token_hash(session.get(SESSION_ID_KEY) or ""),
    ), (422 if form.errors else 200)


def logout_everywhere() -> Response:
    """End every session of the user, this browser's too (a lost laptop, a shared cookie)."""
    if (gone := _signed_in()) is not None:
        return gone
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    user_sessions.revoke_all(db.session, user)
    logout_user()
    session.clear()
    flash(_("すべてのブラウザでログアウトしました。"), "info")
    return redirect(url_for("auth.login"), 303)


class ConfirmPasswordForm(FlaskForm):
    password = PasswordField(_l("パスワード"), validators=[DataRequired()])


def account_totp() -> Response | str | tuple[str, int]:
    """A supplier may choose to sign in with a code too (staff always do, enrolled through
    their invitation). Enrolled here, it is required at every sign-in from then on."""
    if (gone := _signed_in()) is not None:
        return gone
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    if user.role != Role.SUPPLIER or user.totp_secret:
        return redirect(url_for("auth.account"), 303)
    secret = session.get("totp_enrol_secret") or second_factor.new_secret()
    session["totp_enrol_secret"] = secret
    form = CodeForm()
    if form.validate_on_submit():
        try:
            second_factor.enrol(db.session, user, secret, form.code.data or "")
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            session.pop("totp_enrol_secret", None)
            return render_template(
                "auth/recovery_codes.html",
                codes=recovery.issue(db.session, user),
                target=url_for("auth.account"),
            )
    uri = second_factor.provisioning_uri(user, secret)
    return render_template(
        "auth/totp_setup.html",
        form=form,
        qr=second_factor.qr_svg_data_uri(uri),
        secret=second_factor.grouped(secret),
        action=url_for("auth.account_totp"),
        optional=True,
    ), (422 if form.errors else 200)


def account_recovery_codes() -> Response | str | tuple[str, int]:
    """A new set of recovery codes (the old ones stop working), after the password again."""
    if (gone := _signed_in()) is not None:
        return gone
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    form = ConfirmPasswordForm()
    if not user.totp_secret:
        return redirect(url_for("auth.account"), 303)
    if form.validate_on_submit():
        if verify_password(user.password_hash, form.password.data or ""):
            return render_template(
                "auth/recovery_codes.html",
                codes=recovery.issue(db.session, user),
                target=url_for("auth.account"),
            )
        flash(_("パスワードが正しくありません。"), "error")
    return redirect(url_for("auth.account"), 303)


bp.add_url_rule("/account", view_func=account, methods=["GET", "POST"])
bp.add_url_rule("/account/totp", view_func=account_totp, methods=["GET", "POST"])
bp.add_url_rule("/account/recovery-codes", view_func=account_recovery_codes, methods=["POST"])
bp.add_url_rule("/account/logout-everywhere", view_func=logout_everywhere, methods=["POST"])


# --- forgotten password: a single-use link by mail ------------------------------------------


class ForgotForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(), Length(max=254)])


def password_forgot() -> Response | str | tuple[str, int]:
    """Ask for a reset link. The answer is the same whether the address has an account, and
    the mail goes out after the response's commit; requests are limited per address asked for
    and per client address."""
    form = ForgotForm()
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data or "")
        cfg = current_app.config
        store = limiter.limiter
        per_email = parse(cfg["PASSWORD_RESET_LIMIT_PER_EMAIL"])
        per_ip = parse(cfg["PASSWORD_RESET_LIMIT_PER_ADDRESS"])
        ip = request.remote_addr or ""
        allowed = store.hit(per_email, "reset-email", _limit_key(email)) and store.hit(
            per_ip, "reset-address", ip
        )
        if allowed and (found := accounts.start_password_reset(db.session, email)) is not None:
            user, token = found
            mail = (
                user.email,
                _("【%(city)sふるさと納税】パスワードの再設定", city=cfg["CITY_NAME"]),
                render_template(
                    "mail/password_reset.txt",
                    user=user,
                    link=public_url("auth.password_reset", token=token),
                    minutes=accounts.RESET_MINUTES,
                ),
            )
            uow.after_commit(lambda: send_mail(*mail))
        flash(
            _(
                "ご登録のアドレスであれば、パスワード再設定のリンクをお送りしました"
                "（30分有効・1回限り）。メールをご確認ください。"
            ),
            "info",
        )
        return redirect(url_for("auth.login"), 303)
    return render_template("auth/password_forgot.html", form=form)


def password_reset(token: str) -> Response | str | tuple[str, int]:
    try:
        accounts.find_password_reset(db.session, token)
    except DomainError as e:
        return render_template("auth/invitation_invalid.html", message=str(e.message)), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(db.session, token, form.password.data or "")
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            logout_user()
            session.clear()
            flash(
                _("パスワードを再設定しました。新しいパスワードでログインしてください。"), "success"
            )
            return redirect(url_for("auth.login"), 303)
    return render_template("auth/password_reset.html", form=form), (422 if form.errors else 200)


bp.add_url_rule("/password/forgot", view_func=password_forgot, methods=["GET", "POST"])
bp.add_url_rule("/password/reset/<token>", view_func=password_reset, methods=["GET", "POST"])

"""Forms of the support desk (supplier chat and staff inbox)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.support.models import CATEGORY_LABELS, CHANNEL_LABELS, Category, Channel
from portal.web.forms import FlaskForm, choices


def category_choices(blank: str | None = None) -> list:
    pairs = [(c.value, label) for c, label in CATEGORY_LABELS.items()]
    return choices(([("", blank)] if blank is not None else []) + pairs)


class MessageForm(FlaskForm):
    body = TextAreaField(_l("メッセージ"), validators=[Length(max=4000)])
    attachment = FileField(_l("画像・PDFを添付（5MBまで）"))


class NewConversationForm(MessageForm):
    subject = StringField(_l("件名"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("内容"), validators=[Optional()])

    def __init__(self, *a, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*a, **kw)
        self.category.choices = category_choices(_l("選んでください"))


class ReplyForm(MessageForm):
    internal = BooleanField(_l("内部メモ（お客様には見えません）"))


class AssignForm(FlaskForm):
    assignee_id = SelectField(_l("担当者"), validators=[Optional()])


class CategoriseForm(FlaskForm):
    category = SelectField(_l("分類"), validators=[Optional()])
    is_complaint = BooleanField(_l("苦情"))

    def __init__(self, *a, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*a, **kw)
        self.category.choices = category_choices(_l("未分類"))


class StatusForm(FlaskForm):
    resolution = TextAreaField(_l("対応結果"), validators=[Optional(), Length(max=2000)])


class LogInquiryForm(FlaskForm):
    channel = RadioField(
        _l("受付方法"),
        choices=choices(
            [
                (Channel.PHONE.value, CHANNEL_LABELS[Channel.PHONE]),
                (Channel.EMAIL.value, CHANNEL_LABELS[Channel.EMAIL]),
            ]
        ),
        default=Channel.PHONE.value,
    )
    customer_kind = RadioField(
        _l("相手"),
        choices=choices([("donor", _l("寄附者")), ("supplier", _l("事業者"))]),
        default="donor",
    )
    supplier_id = SelectField(_l("事業者"), validators=[Optional()])
    donation_ref = StringField(_l("寄附番号"), validators=[Optional(), Length(max=40)])
    customer_name = StringField(_l("お名前"), validators=[Optional(), Length(max=200)])
    customer_email = StringField(
        _l("メールアドレス"), validators=[Optional(), Email(), Length(max=254)]
    )
    subject = StringField(_l("件名"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("分類"), validators=[Optional()])
    body = TextAreaField(_l("問い合わせ内容"), validators=[DataRequired(), Length(max=4000)])

    def __init__(self, *a, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*a, **kw)
        self.category.choices = category_choices(_l("未分類"))


class FaqForm(FlaskForm):
    question = StringField(_l("質問"), validators=[DataRequired(), Length(max=300)])
    answer = TextAreaField(_l("回答"), validators=[DataRequired()])
    keywords = StringField(_l("キーワード（空白区切り）"), validators=[Length(max=300)])
    category = SelectField(_l("分類"), validators=[Optional()])
    active = BooleanField(_l("公開する"), default=True)

    def __init__(self, *a, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*a, **kw)
        self.category.choices = category_choices(_l("未分類"))


class CannedForm(FlaskForm):
    title = StringField(_l("名前"), validators=[DataRequired(), Length(max=100)])
    body = TextAreaField(_l("本文"), validators=[DataRequired()])


class DeskDayForm(FlaskForm):
    day = DateField(_l("日付"), validators=[DataRequired()])
    mode = RadioField(
        _l("設定"),
        choices=choices([("closed", _l("休業")), ("open", _l("営業（時間を指定）"))]),
        default="closed",
    )
    opens_at = TimeField(_l("開始"), validators=[Optional()])
    closes_at = TimeField(_l("終了"), validators=[Optional()])
    note = StringField(_l("メモ"), validators=[Optional(), Length(max=200)])


def parse_category(value: str | None) -> Category | None:
    return Category(value) if value else None

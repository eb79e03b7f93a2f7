"""Sending one delivery: chat webhooks in each platform's format and signature, and email.

Platforms (as their documentation specifies):
- Feishu/Lark custom bot: JSON body with `timestamp` and `sign`, where sign is
  base64(HMAC-SHA256(key="{timestamp}\\n{secret}", message="")); answers {"code": 0}.
- DingTalk robot: `timestamp` (ms) and `sign` query parameters, where sign is
  urlencode(base64(HMAC-SHA256(key=secret, message="{timestamp}\\n{secret}"))); answers
  {"errcode": 0}.
- WeCom group robot: markdown message to the key-bearing URL; answers {"errcode": 0}.
- Slack incoming webhook: {"text": ...} in mrkdwn; answers "ok".
- Generic JSON webhook: headers X-Techalign-Event / -Delivery / -Timestamp and
  X-Techalign-Signature: "sha256=" + hex(HMAC-SHA256(secret, "{timestamp}." + body)).
A platform's error code in a 200 answer is a failure too; bad credentials will not heal, so
they are not retried.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
from typing import Any
from urllib.parse import quote_plus

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from techalign.calendars.http import HttpFailure, Response, request
from techalign.calendars.sealing import unseal
from techalign.notify.models import Channel, Delivery


class SendFailure(Exception):
    def __init__(self, problem: str, *, retry: bool, status: int | None = None) -> None:
        self.problem = problem
        self.retry = retry
        self.status = status
        super().__init__(problem)


def _hmac_b64(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def feishu_sign(timestamp: int, secret: str) -> str:
    return _hmac_b64(f"{timestamp}\n{secret}".encode(), b"")


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    return _hmac_b64(secret.encode(), f"{timestamp_ms}\n{secret}".encode())


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def _markdown(message: dict[str, Any]) -> str:
    return f"**{message['title']}**\n\n{message['body']}\n\n[techalign]({message['url']})"


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def _platform_error(answer: Response, *fields: str) -> None:
    """Feishu, DingTalk and WeCom answer 200 with an error code in the body."""
    try:
        data = json.loads(answer.body or b"{}")
    except ValueError:
        return
    if not isinstance(data, dict):
        return
    for name in fields:
        if data.get(name) not in (None, 0):
            message = data.get("msg") or data.get("errmsg") or data.get("StatusMessage") or ""
            raise SendFailure(f"{name} {data[name]}: {message}", retry=False, status=answer.status)


def _post(url: str, body: bytes, headers: dict[str, str] | None = None) -> Response:
    timeout = getattr(settings, "TECHALIGN_WEBHOOK_TIMEOUT", 5)
    try:
        return request(
            "POST",
            url,
            body=body,
            timeout=timeout,
            headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        )
    except HttpFailure as failure:
        raise SendFailure(failure.problem, retry=failure.retry, status=failure.status) from None


def send_chat(channel: Channel, delivery: Delivery) -> int:
    """Post the delivery's message to the channel; return the HTTP status."""
    secrets = unseal(channel.sealed_secret)
    url, secret = secrets.get("url", ""), secrets.get("secret", "")
    if not url:
        raise SendFailure("the channel's address cannot be read (key changed?)", retry=False)
    message = delivery.payload
    kind = channel.kind
    if kind == Channel.Kind.FEISHU:
        body: dict[str, Any] = {
            "msg_type": "post",
            "content": {
                "post": {
                    "zh_cn": {
                        "title": message["title"],
                        "content": [
                            [{"tag": "text", "text": message["body"]}],
                            [{"tag": "a", "text": "techalign", "href": message["url"]}],
                        ],
                    }
                }
            },
        }
        if secret:
            now = int(time.time())
            body.update(timestamp=str(now), sign=feishu_sign(now, secret))
        answer = _post(url, _json(body))
        _platform_error(answer, "code", "StatusCode")
    elif kind == Channel.Kind.DINGTALK:
        if secret:
            now_ms = int(time.time() * 1000)
            joiner = "&" if "?" in url else "?"
            url = (
                f"{url}{joiner}timestamp={now_ms}&sign={quote_plus(dingtalk_sign(now_ms, secret))}"
            )
        answer = _post(
            url,
            _json(
                {
                    "msgtype": "markdown",
                    "markdown": {"title": message["title"], "text": _markdown(message)},
                }
            ),
        )
        _platform_error(answer, "errcode")
    elif kind == Channel.Kind.WECOM:
        answer = _post(
            url, _json({"msgtype": "markdown", "markdown": {"content": _markdown(message)}})
        )
        _platform_error(answer, "errcode")
    elif kind == Channel.Kind.SLACK:
        text = f"*{message['title']}*\n{message['body']}\n<{message['url']}|techalign>"
        answer = _post(url, _json({"text": text}))
    else:
        raw = _json({"id": delivery.pk, "event": delivery.event, **message})
        now = int(time.time())
        headers = {
            "X-Techalign-Event": delivery.event,
            "X-Techalign-Delivery": str(delivery.pk),
            "X-Techalign-Timestamp": str(now),
        }
        if secret:
            headers["X-Techalign-Signature"] = webhook_signature(secret, now, raw)
        answer = _post(url, raw, headers)
    return answer.status


def send_email(delivery: Delivery) -> int:
    """Send the delivery's email; a meeting event carries its iTIP invitation. Returns 250."""
    payload = delivery.payload
    mail = EmailMultiAlternatives(
        subject=delivery.subject,
        body=payload["body"],
        to=[delivery.recipient],
        from_email=settings.DEFAULT_FROM_EMAIL,
    )
    if payload.get("ics"):
        method = payload["method"]
        # The inline text/calendar part is what calendar clients act on; the attachment is
        # for clients that only look at attachments.
        mail.attach_alternative(payload["ics"], f"text/calendar; method={method}")
        mail.attach("invite.ics", payload["ics"], "application/ics")
    try:
        mail.send()
    except smtplib.SMTPResponseException as error:
        # 4xx is the server asking us to try later; 5xx is a refusal.
        raise SendFailure(
            f"SMTP {error.smtp_code}: {error.smtp_error!r}",
            retry=error.smtp_code < 500,
            status=error.smtp_code,
        ) from None
    except smtplib.SMTPRecipientsRefused as error:
        raise SendFailure(f"recipient refused: {error.recipients}", retry=False) from None
    except (smtplib.SMTPException, OSError) as error:
        raise SendFailure(f"SMTP: {error}", retry=True) from None
    return 250

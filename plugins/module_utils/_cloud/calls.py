# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How one cloud call is made: retries and error translation, in one place (private).

``with_retries`` repeats a call after transient faults (5xx, 429, a failed
or timed-out connection) with jittered backoff that honours Retry-After up
to a cap.  ``translate`` turns an SDK exception into one of ``_errors``'
kinds, with a message that says once what was being done.  ``Calls.call``
does both and counts the retries of a run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import inspect
import random
import re
import threading
import time
from typing import Any, Callable, Tuple, Type

CLOUD_EXCEPTIONS: Tuple[Type[BaseException], ...]
TRANSIENT_TRANSPORT: Tuple[Type[BaseException], ...]
STATUS_OF_TYPE: Tuple[Tuple[Type[BaseException], int], ...]
try:
    from keystoneauth1 import exceptions as ksa_exceptions
    from openstack import exceptions as sdk_exceptions

    HAS_OPENSTACKSDK = True
    # Everything a cloud call can raise: SDK errors and keystoneauth's transport errors.
    CLOUD_EXCEPTIONS = (sdk_exceptions.SDKException, ksa_exceptions.ClientException)
    # The request may or may not have been carried out: only repeatable calls are retried.
    TRANSIENT_TRANSPORT = (ksa_exceptions.RetriableConnectionFailure, ksa_exceptions.UnknownConnectionError)
    # The status an SDK exception stands for when it carries none.
    STATUS_OF_TYPE = ((sdk_exceptions.NotFoundException, 404), (sdk_exceptions.ForbiddenException, 403))
except ImportError:
    HAS_OPENSTACKSDK = False
    CLOUD_EXCEPTIONS = (Exception,)
    TRANSIENT_TRANSPORT = ()
    STATUS_OF_TYPE = ()

from ansible_collections.netsec.openstack.plugins.module_utils import _errors as errors

RETRYABLE = CLOUD_EXCEPTIONS + (errors.CloudError,)
# Pauses before the 2nd, 3rd and 4th attempt of a request that failed with a transient fault.
RETRY_DELAYS = (0.5, 1.5, 3.0)
# A Retry-After longer than this is cut to it: a run waits at most this long per retry.
RETRY_AFTER_CAP = 20.0
THROTTLED = 429
RULE_EXISTS_PATTERN = re.compile(r"[Rr]ule id is ([0-9a-fA-F-]{32,36})")


def status_of(exc):
    status = getattr(exc, "status_code", None) or getattr(exc, "http_status", None) or getattr(getattr(exc, "response", None), "status_code", None)
    if status is None:
        status = next((code for kind, code in STATUS_OF_TYPE if isinstance(exc, kind)), None)
    return status


def error_text(exc):
    details = getattr(exc, "details", None)
    message = getattr(exc, "message", None) or str(exc)
    if details and details not in message:
        message = "%s: %s" % (message, details)
    return message


def is_transient(exc):
    """True for faults worth another try: a 5xx or 429 answer, a failed or timed-out connection."""
    if isinstance(exc, errors.CloudError):
        return bool(getattr(exc, "transient", False))
    status = status_of(exc)
    if status is not None:
        try:
            return int(status) >= 500 or int(status) == THROTTLED
        except (TypeError, ValueError):
            return False
    return isinstance(exc, TRANSIENT_TRANSPORT)


def retry_after(exc, cap=RETRY_AFTER_CAP):
    """Seconds the answer asked us to wait (Retry-After in seconds), capped; None if it did not say."""
    if isinstance(exc, errors.CloudError):
        return getattr(exc, "retry_after", None)
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    try:
        value = headers.get("Retry-After")
    except AttributeError:  # pragma: no cover - odd header containers
        return None
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), cap)
    except (TypeError, ValueError):
        return None  # absent, or an HTTP date: the backoff decides


def with_retries(func, on_retry=None, delays=RETRY_DELAYS, sleep=time.sleep):
    """``func()``, called again after each transient fault, at most ``len(delays)`` more times.

    Only for operations that are safe to repeat (reads, PUTs of a whole
    value, deletes that treat 404 as done, creates that treat 409 as done,
    anything answered 429: it was not carried out).  ``on_retry(exc,
    attempt)`` is told about each retry.
    """
    attempt = 0
    while True:
        try:
            return func()
        except RETRYABLE as exc:
            if attempt >= len(delays) or not is_transient(exc):
                try:
                    setattr(exc, "netsec_attempts", attempt + 1)
                except AttributeError:  # pragma: no cover - exceptions without a __dict__
                    pass
                raise
            if on_retry is not None:
                on_retry(exc, attempt + 1)
            pause = delays[attempt] * (0.75 + random.random() / 2)
            asked = retry_after(exc)
            sleep(max(pause, asked) if asked is not None else pause)
            attempt += 1


def attempts_text(exc):
    attempts = getattr(exc, "netsec_attempts", 1)
    return " (gave up after %d attempts)" % attempts if attempts > 1 else ""


def _neutron_type(exc):
    try:
        return (getattr(exc, "response").json().get("NeutronError") or {}).get("type") or ""
    except Exception:
        return ""


def translate(exc, what):
    """The ``_errors`` kind for an SDK exception; the message says once what failed."""
    error = _kind_of(exc, what)
    error.detail = error_text(exc)
    error.transient = is_transient(exc)
    error.retry_after = retry_after(exc)
    error.netsec_attempts = getattr(exc, "netsec_attempts", 1)
    return error


def _kind_of(exc, what):
    text = error_text(exc)
    message = "%s failed: %s%s" % (what, text, attempts_text(exc))
    status = status_of(exc)
    try:
        status = int(status) if status is not None else None
    except (TypeError, ValueError):
        status = None
    if status == 409:
        kind = _neutron_type(exc)
        match = RULE_EXISTS_PATTERN.search(text)
        if match:
            return errors.DuplicateRule(message, match.group(1))
        if kind == "OverQuota" or "quota exceeded" in text.lower():
            return errors.OverQuota(message, status=status)
        if kind.endswith("InUse") or "in use" in text.lower():
            return errors.InUse(message, status=status)
        return errors.Conflict(message, status=status)
    if status == 404:
        return errors.NotFound(message, status=status)
    if status == 403:
        return errors.Forbidden(message, status=status)
    return errors.CloudError(message, status=status)


class Calls(object):
    """Makes the calls of one run: retried where safe, translated, retries noted."""

    def __init__(self, sleep=time.sleep):
        self.retried = []
        self.sleep = sleep
        self._lock = threading.Lock()

    def note_retry(self, what):
        def note(exc, attempt):
            with self._lock:
                self.retried.append("%s (attempt %d failed: %s)" % (what, attempt, error_text(exc)))

        return note

    def call(self, what, func, retry=True):
        """``func()``; retried after transient faults when ``retry``; SDK errors become ``_errors`` kinds."""
        try:
            if retry:
                return with_retries(func, on_retry=self.note_retry(what), sleep=self.sleep)
            return func()
        except CLOUD_EXCEPTIONS as exc:
            raise translate(exc, what)

    def retrying(self, what, func):
        """``func()`` retried after transient faults; ``_errors`` kinds raised by it pass through."""
        return with_retries(func, on_retry=self.note_retry(what), sleep=self.sleep)


def cloud_call(what: str, retry: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorates a method of an object with a ``calls`` (``Calls``): the method's body is the SDK call;
    ``what`` (formatted with the method's arguments by name) says what it does, in messages and retry notes."""

    def decorate(method):
        signature = inspect.signature(method)

        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            arguments = signature.bind(self, *args, **kwargs).arguments
            return self.calls.call(what.format(**arguments), functools.partial(method, self, *args, **kwargs), retry=retry)

        return wrapper

    return decorate

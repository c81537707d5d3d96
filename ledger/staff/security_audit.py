"""Every security-relevant change to a staff account is audited, however it is made: the
Django admin, a staff page, a management command or the shell (docs/permissions.md,
"The audit log").

Model signals see every change made through the ORM, so nothing depends on the path
remembering to audit. Each event names the account by id (``object_type`` "user"), the
actor (``ledger.staff.actor``: the request's user, or None for a command or the shell)
and ``via`` ("admin", "staff page", "command or shell"); never a name, an email address, a
password or a code.

- ``staff.password_changed`` (a new password hash; ``staff.password_rehashed`` when
  Django only re-hashed the same password with stronger settings at login);
- ``staff.superuser_changed``, ``staff.staff_status_changed``, ``staff.active_changed``
  (from, to), ``staff.email_changed`` (whether there was and is an address, not which);
- ``staff.account_created``, ``staff.account_deleted``;
- ``staff.groups_changed`` (roles added or removed, from either side, ``clear()`` and a
  deleted group included), ``staff.permissions_changed``; ``staff.group_renamed``
  (``object_type`` "group");
- ``staff.device_added``, ``staff.device_removed``, ``staff.device_confirmed``,
  ``staff.device_unconfirmed``, ``staff.device_changed`` (a new secret), for the
  authenticator app (``totp``) and the recovery codes' device (``recovery_codes``);
- ``staff.recovery_codes_regenerated``: codes saved for a device, one event for all the
  codes saved in one transaction.

A password or second factor changed by someone other than the account's holder pauses the
account's money rights (``ledger.staff.credentials``).

Django sends ``pre_save`` and ``post_save`` outside any transaction when the caller opened
none (a shell), so the saves of these models are made atomic
(:func:`saves_in_one_transaction`): a change, its audit event and the pause it causes
commit together or not at all. Deletions and many-to-many changes are atomic in Django
already. Queryset ``update()`` and raw SQL send no signals; only the shell or the database
itself can make them.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hasher, identify_hasher, is_password_usable
from django.contrib.auth.models import Group, Permission
from django.db import router, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger.books.posting import audit_record
from ledger.staff import credentials
from ledger.staff.actor import acting_user, acting_via
from ledger.staff.per_transaction import transaction_scope

USER_FLAGS = {
    "is_superuser": "staff.superuser_changed",
    "is_staff": "staff.staff_status_changed",
    "is_active": "staff.active_changed",
}
USER_FIELDS = ("password", "email", *USER_FLAGS)
DEVICE_KINDS = {TOTPDevice: "totp", StaticDevice: "recovery_codes"}
# What a device's arrival or departure changes, in the words of ``ledger.staff.credentials``.
ADDED = {TOTPDevice: credentials.AUTHENTICATOR_ADDED, StaticDevice: credentials.RECOVERY_CODES}
REMOVED = {
    TOTPDevice: credentials.AUTHENTICATOR_REMOVED,
    StaticDevice: credentials.RECOVERY_CODES_REMOVED,
}


def _audit(object_id, action: str, details: dict, *, object_type: str = "user") -> None:
    details = {**details, "via": acting_via()}
    audit_record(acting_user(), object_type, object_id, action, details)


def _deleting_users(using: str) -> set:
    return transaction_scope(using).setdefault("users being deleted", set())


# Accounts -------------------------------------------------------------------------------


def _rehashed(before: str, after: str, update_fields) -> bool:
    """Django's own upgrade of a password's hash at login, which saves only the password
    and only when the stored hash is outdated (``AbstractBaseUser.check_password``)."""
    if update_fields is None or set(update_fields) != {"password"}:
        return False
    if not (is_password_usable(before) and is_password_usable(after)):
        return False
    try:
        old, new = identify_hasher(before), identify_hasher(after)
    except ValueError:
        return False
    preferred = get_hasher("default")
    outdated = old.algorithm != preferred.algorithm or preferred.must_update(before)
    return outdated and new.algorithm == preferred.algorithm


def _user_pre_save(sender, instance, raw, using, update_fields, **kwargs) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return
    fields = [f for f in USER_FIELDS if update_fields is None or f in update_fields]
    if not fields:
        return
    stored = sender._default_manager.using(using).filter(pk=instance.pk).values(*fields).first()
    if stored is None:
        return
    for field in fields:
        before, after = stored[field], getattr(instance, field)
        if before == after:
            continue
        if field == "password":
            if not (is_password_usable(before) or is_password_usable(after)):
                continue  # one unusable marker for another: no password either side
            if _rehashed(before, after, update_fields):
                _audit(instance.pk, "staff.password_rehashed", {})
                continue
            _audit(instance.pk, "staff.password_changed", {"usable": is_password_usable(after)})
            credentials.credential_changed(instance.pk, credentials.PASSWORD, using=using)
        elif field == "email":
            changed = {"had_address": bool(before), "has_address": bool(after)}
            _audit(instance.pk, "staff.email_changed", changed)
        else:
            _audit(instance.pk, USER_FLAGS[field], {"from": before, "to": after})


def _user_post_save(sender, instance, created, raw, **kwargs) -> None:
    if raw or not created:
        return
    details = {
        "superuser": instance.is_superuser,
        "staff": instance.is_staff,
        "active": instance.is_active,
        "password_usable": instance.has_usable_password(),
    }
    _audit(instance.pk, "staff.account_created", details)


def _user_pre_delete(sender, instance, using, **kwargs) -> None:
    _deleting_users(using).add(instance.pk)
    _audit(instance.pk, "staff.account_deleted", {})


# Roles and permissions ------------------------------------------------------------------


def _label(obj) -> str:
    if isinstance(obj, Permission):
        return f"{obj.content_type.app_label}.{obj.codename}"
    return obj.name


def _memberships(sender, instance, action, reverse, model, pk_set, using, **kwargs) -> None:
    """User.groups and User.user_permissions, changed from either side."""
    user_model = get_user_model()
    kind = "groups" if sender is user_model.groups.through else "permissions"
    scope = transaction_scope(using)
    clearing = ("clearing", kind, type(instance), instance.pk)
    if action == "pre_clear":
        if reverse:
            scope[clearing] = (list(instance.user_set.values_list("pk", flat=True)), [instance])
        else:
            if kind == "groups":
                related = instance.groups.all()
            else:
                related = instance.user_permissions.select_related("content_type")
            scope[clearing] = ([instance.pk], list(related))
        return
    if action == "post_clear":
        user_ids, objects = scope.pop(clearing, ([], []))
        verb = "removed"
    elif action in ("post_add", "post_remove") and pk_set:
        verb = "added" if action == "post_add" else "removed"
        if reverse:
            user_ids, objects = sorted(pk_set), [instance]
        else:
            related = model._default_manager.filter(pk__in=pk_set)
            if model is Permission:
                related = related.select_related("content_type")
            user_ids, objects = [instance.pk], list(related)
    else:
        return
    names = sorted(_label(obj) for obj in objects)
    if not names:
        return
    for user_id in user_ids:
        _audit(user_id, f"staff.{kind}_changed", {verb: names})


def _group_pre_save(sender, instance, raw, using, **kwargs) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return
    stored = sender._default_manager.using(using).filter(pk=instance.pk)
    before = stored.values_list("name", flat=True).first()
    if before is not None and before != instance.name:
        renamed = {"from": before, "to": instance.name}
        _audit(instance.pk, "staff.group_renamed", renamed, object_type="group")


def _group_pre_delete(sender, instance, using, **kwargs) -> None:
    for user_id in instance.user_set.using(using).values_list("pk", flat=True):
        _audit(user_id, "staff.groups_changed", {"removed": [instance.name], "group_deleted": True})


# The second factor ----------------------------------------------------------------------


def _device_arrived(model, user_id: int, confirmed: bool, using: str, **extra) -> None:
    details = {"device": DEVICE_KINDS[model], "confirmed": confirmed, **extra}
    _audit(user_id, "staff.device_added", details)
    if confirmed:
        credentials.credential_changed(user_id, ADDED[model], using=using)


def _device_left(model, user_id: int, confirmed: bool, using: str, **extra) -> None:
    details = {"device": DEVICE_KINDS[model], "confirmed": confirmed, **extra}
    _audit(user_id, "staff.device_removed", details)
    if confirmed and user_id not in _deleting_users(using):
        credentials.credential_changed(user_id, REMOVED[model], using=using)


def _device_pre_save(sender, instance, raw, using, update_fields, **kwargs) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return
    watched = ["user_id", "confirmed"] + (["key"] if sender is TOTPDevice else [])
    if update_fields is not None and not {"user", "confirmed", "key"} & set(update_fields):
        return
    stored = sender._default_manager.using(using).filter(pk=instance.pk).values(*watched).first()
    if stored is None:
        return
    if stored["user_id"] != instance.user_id:
        _device_left(sender, stored["user_id"], stored["confirmed"], using, moved=True)
        _device_arrived(sender, instance.user_id, instance.confirmed, using, moved=True)
        return
    kind = {"device": DEVICE_KINDS[sender]}
    if stored["confirmed"] != instance.confirmed:
        if instance.confirmed:
            _audit(instance.user_id, "staff.device_confirmed", kind)
            credentials.credential_changed(instance.user_id, ADDED[sender], using=using)
        else:
            _audit(instance.user_id, "staff.device_unconfirmed", kind)
            credentials.credential_changed(instance.user_id, REMOVED[sender], using=using)
    if "key" in stored and stored["key"] != instance.key:
        _audit(instance.user_id, "staff.device_changed", kind)
        if instance.confirmed:
            what = credentials.AUTHENTICATOR_CHANGED
            credentials.credential_changed(instance.user_id, what, using=using)


def _device_post_save(sender, instance, created, raw, using, **kwargs) -> None:
    if created and not raw:
        _device_arrived(sender, instance.user_id, instance.confirmed, using)


def _device_post_delete(sender, instance, using, **kwargs) -> None:
    _device_left(sender, instance.user_id, instance.confirmed, using)


def _token_post_save(sender, instance, raw, using, **kwargs) -> None:
    """Recovery codes saved outside ``ledger.staff.accounts`` (which audits its own)."""
    if raw:
        return
    scope = transaction_scope(using)
    key = ("recovery codes saved", instance.device_id)
    if key in scope:
        return
    scope[key] = True
    devices = StaticDevice.objects.using(using).filter(pk=instance.device_id)
    user_id = devices.values_list("user_id", flat=True).first()
    if user_id is None:
        return
    _audit(user_id, "staff.recovery_codes_regenerated", {"device": "recovery_codes"})
    credentials.credential_changed(user_id, credentials.RECOVERY_CODES, using=using)


# Wiring ---------------------------------------------------------------------------------


def saves_in_one_transaction(model) -> None:
    """Make ``model.save()`` atomic, so the signals around it run in its transaction."""
    save = model.save
    if getattr(save, "in_one_transaction", False):
        return

    @wraps(save)
    def atomic_save(self, *args, **kwargs):
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            return save(self, *args, **kwargs)

    atomic_save.in_one_transaction = True
    model.save = atomic_save


def connect() -> None:
    """Called once the apps are ready (``ledger.apps``)."""
    user_model = get_user_model()

    def hook(signal, receiver, sender) -> None:
        uid = f"ledger.staff.security_audit.{receiver.__name__}.{sender.__name__}"
        signal.connect(receiver, sender=sender, dispatch_uid=uid)

    hook(pre_save, _user_pre_save, user_model)
    hook(post_save, _user_post_save, user_model)
    hook(pre_delete, _user_pre_delete, user_model)
    for through in (user_model.groups.through, user_model.user_permissions.through):
        hook(m2m_changed, _memberships, through)
    hook(pre_save, _group_pre_save, Group)
    hook(pre_delete, _group_pre_delete, Group)
    for device in DEVICE_KINDS:
        hook(pre_save, _device_pre_save, device)
        hook(post_save, _device_post_save, device)
        hook(post_delete, _device_post_delete, device)
    hook(post_save, _token_post_save, StaticToken)
    for model in (user_model, Group, *DEVICE_KINDS, StaticToken):
        saves_in_one_transaction(model)

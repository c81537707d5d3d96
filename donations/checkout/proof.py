"""The page a receipt links to: the gift's place in the fund's books, and the proof that a
signed tree head holds it (``ledger.books.proofs``), which the donor can check against any
head they or anyone else saved. The link's token names the charge; the page shows only the
gift's own entry."""

from __future__ import annotations

import json

from django.conf import settings
from django.core import signing
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from donations.events.posting import balance_transaction_key
from donations.models import StripeCharge
from ledger.books.proofs import first_head_with, inclusion_document, proof_problems
from ledger.books.tree_heads import head_text_of_document, verify_signature
from ledger.models import Checkpoint, JournalTransaction

PROOF_SALT = "donations.proof"
MAX_HEAD_BYTES = 20_000


def proof_token(charge: StripeCharge) -> str:
    return signing.dumps(charge.charge_id, salt=PROOF_SALT)


def proof_url(charge: StripeCharge) -> str:
    return settings.SITE_URL + reverse("donations:proof", args=[proof_token(charge)])


def gift_entry(charge: StripeCharge) -> JournalTransaction | None:
    """The journal transaction that booked the charge, once it is booked."""
    if not charge.balance_transaction_id:
        return None
    key = balance_transaction_key(charge.balance_transaction_id)
    return JournalTransaction.objects.filter(idempotency_key=key).first()


def _entry_of(token: str) -> tuple[StripeCharge | None, JournalTransaction | None]:
    try:
        charge_id = signing.loads(token, salt=PROOF_SALT)
    except signing.BadSignature:
        return None, None
    charge = StripeCharge.objects.filter(charge_id=charge_id).first()
    return charge, gift_entry(charge) if charge else None


def _check_against(entry: JournalTransaction, text: str) -> list[str]:
    """The proof of this entry in the books the pasted head signed."""
    try:
        head = json.loads(text)
        size = int(head["size"])
    except (ValueError, TypeError, KeyError):
        return [_("That is not a tree head: paste one line of tree-heads.jsonl.")]
    if not verify_signature(
        head.get("key", ""), head.get("signature", ""), head_text_of_document(head)
    ):
        return [_("That head's signature does not verify.")]
    ours = Checkpoint.objects.filter(sequence=size, root_hash=head.get("root")).first()
    if ours is None:
        return [_("The books do not hold that head.")]
    if size < entry.sequence:
        return [_("That head is older than your gift: use a later one.")]
    return proof_problems(inclusion_document(entry, ours), head)


@require_http_methods(["GET", "HEAD", "POST"])
def proof_page(request, token):
    charge, entry = _entry_of(token)
    if charge is None:
        return render(request, "donations/proof.html", {"invalid": True}, status=404)
    head = first_head_with(entry.sequence) if entry else None
    context = {"charge": charge, "entry": entry, "head": head, "token": token}
    if head is not None:
        document = inclusion_document(entry, head)
        context["document"] = document
        context["problems"] = proof_problems(document)
        if request.method == "POST":
            text = request.POST.get("head", "").strip()[:MAX_HEAD_BYTES]
            context["checked"] = True
            context["check_problems"] = _check_against(entry, text)
    return render(request, "donations/proof.html", context)


@require_safe
def proof_json(request, token):
    """The proof document, for docs/verify_export.py --proof."""
    charge, entry = _entry_of(token)
    head = first_head_with(entry.sequence) if entry else None
    if head is None:
        return JsonResponse({"error": "no signed head holds this gift yet"}, status=404)
    response = JsonResponse(inclusion_document(entry, head), json_dumps_params={"indent": 1})
    response["Content-Disposition"] = f'attachment; filename="gift-{entry.sequence}-proof.json"'
    return response

"""Payments and refunds in the admin, to read: money moves only through the payment services (gateway
callbacks verified, counter payments recorded by finance), never by editing a row."""

from django.contrib import admin

from yunlou.core.admin_scope import ReadOnlyScopedAdmin
from yunlou.payments.models import Payment, Refund


@admin.register(Payment)
class PaymentAdmin(ReadOnlyScopedAdmin):
    organization_path = "organization"
    list_display = ["out_trade_no", "description", "amount_fen", "refunded_fen", "channel", "status", "paid_at"]
    list_filter = ["status", "channel", "organization"]
    search_fields = ["out_trade_no", "transaction_id", "reference", "voucher"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyScopedAdmin):
    organization_path = "payment__organization"
    list_display = ["out_refund_no", "payment", "amount_fen", "status", "created_at", "settled_at"]
    list_filter = ["status", "payment__organization"]
    list_select_related = ["payment"]
    search_fields = ["out_refund_no", "refund_id", "payment__out_trade_no"]

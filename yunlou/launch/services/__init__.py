from yunlou.launch.services.selection import hold_expire_overdue, order_holds_expire, unit_claim

__all__ = ["hold_expire_overdue", "order_holds_expire", "unit_claim"]

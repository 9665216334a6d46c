"""Who hears that money has arrived: one handler per reference prefix ("order", "pledge").

The payments app never imports the apps that use it; they register here from their AppConfig.ready():

    payment_handlers.register("order", order_payment_received)

A handler is called once, when a payment first becomes received, *inside* the transaction that records it and
while the payment row is locked — so the order's change and the payment's commit together or not at all, and a
gateway retry finds either both or neither. It runs in a savepoint: to refuse the money (the hold expired, the
pledge list closed) it raises `PaymentRefused`; its writes are rolled back, the payment stays received (the
money did arrive) with the refusal noted, and the money goes back — for an online payment by a full refund
sent once the transaction commits (never from inside the lock); a counter payment is simply not recorded, since
finance still has the buyer in front of them. Any other exception rolls the whole notification back and the
gateway is answered with an error, so it tries again later.
"""

from collections.abc import Callable

from yunlou.core.errors import Conflict

PaymentHandler = Callable[..., None]


class PaymentRefused(Conflict):
    """Raised by a handler: this money is not wanted (any more). The message says why, for the buyer."""

    code = "payment_refused"


class PaymentHandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, PaymentHandler] = {}

    def register(self, prefix: str, handler: PaymentHandler) -> None:
        if ":" in prefix or not prefix:
            raise ValueError("a reference prefix is a plain word such as 'order'")
        existing = self._handlers.get(prefix)
        if existing is not None and existing is not handler:
            raise ValueError(f"a payment handler for {prefix!r} is registered already")
        self._handlers[prefix] = handler

    def unregister(self, prefix: str) -> None:
        self._handlers.pop(prefix, None)

    def get(self, prefix: str) -> PaymentHandler | None:
        return self._handlers.get(prefix)


payment_handlers = PaymentHandlerRegistry()

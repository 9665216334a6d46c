"""The referral network's JSON API (/api/v1/brokers/…): what a broker's mini program calls."""

from ninja import Router

router = Router(tags=["brokers"])

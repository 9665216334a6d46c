"""Money is integer fen (分) everywhere; yuan appear only at the edges (forms, imports, display)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100


def yuan_to_fen(value) -> int:
    """Parse yuan (str, int or Decimal) into fen; raise ValueError for anything that is not a sum of money."""
    if isinstance(value, float):
        # Spreadsheet cells arrive as floats; repr() gives the shortest exact decimal form.
        value = repr(value)
    try:
        amount = Decimal(str(value).replace(",", "").replace("¥", "").strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not a number: {value!r}")
    if amount and amount.adjusted() > 15:  # 10^16 yuan and beyond is a typo, and would overflow Decimal maths
        raise ValueError(f"too large: {value!r}")
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise ValueError(f"more precise than one fen: {value!r}")
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def format_yuan(fen: int | None, *, whole: bool = False) -> str:
    """¥2,860,000 — whole yuan without decimals, otherwise two places; `whole` rounds to the yuan."""
    if fen is None:
        return ""
    yuan = fen_to_yuan(fen)
    if whole:
        yuan = yuan.quantize(Decimal("1"), ROUND_HALF_UP)
    if yuan == yuan.to_integral_value():
        return f"¥{int(yuan):,}"
    return f"¥{yuan:,.2f}"


def format_wan(fen: int | None) -> str:
    """Totals as lists show them, always with one decimal so that columns line up: 286.0万, 286.5万;
    sums over 1亿 (sales figures) as 8.42亿. The unit page shows the exact yuan (`format_yuan`)."""
    if fen is None:
        return ""
    yuan = Decimal(fen) / FEN_PER_YUAN
    if yuan >= 100_000_000:
        return f"{(yuan / 100_000_000).quantize(Decimal('0.01'), ROUND_HALF_UP):f}亿"
    return f"{(yuan / 10_000).quantize(Decimal('0.1'), ROUND_HALF_UP):f}万"

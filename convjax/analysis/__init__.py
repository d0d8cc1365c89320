"""Output-size, parameter and FLOP formulas, FLOP counting and model summaries."""

__all__: list[str] = []

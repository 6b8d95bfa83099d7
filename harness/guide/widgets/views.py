"""The widgets' views, as in jupyter-widgets/tutorial: the ipywidgets controls around a
model. Displayed in Jupyter a view is live; its ``text/plain`` form (what nbval stores and
compares, and what ``repr`` prints in a terminal) is the model's :meth:`text`."""

from __future__ import annotations

import html
from typing import Any

from ...books.formatting import usd
from .models import FeeModel

__all__ = ["FeeCalculator"]


class _View:
    """Builds its ipywidgets lazily; shows the model's text wherever widgets cannot show."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._widget: Any = None

    @property
    def widget(self) -> Any:
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _build(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def text(self) -> str:
        return self.model.text()

    def __repr__(self) -> str:
        return self.text()

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                          **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = self.text()
        return bundle

    def close(self) -> None:
        if self._widget is not None:
            self._widget.close()
            self._widget = None


def _table_html(rows: list[tuple[str, str]], title: str = "") -> str:
    body = "".join(f"<tr><td style='padding:2px 12px 2px 0'>{html.escape(a)}</td>"
                   f"<td style='text-align:right;font-family:monospace'>{html.escape(b)}</td>"
                   f"</tr>" for a, b in rows)
    caption = f"<b>{html.escape(title)}</b>" if title else ""
    return f"{caption}<table>{body}</table>"


class FeeCalculator(_View):
    """Sliders for the amount and the platform's fee percent; a table of who gets what."""

    def __init__(self, model: FeeModel | None = None, *, max_amount: int = 100_000,
                 **kwargs: Any) -> None:
        super().__init__(model or FeeModel(**kwargs))
        self.max_amount = max(max_amount, self.model.amount)

    def _build(self) -> Any:
        import ipywidgets as w

        amount = w.IntSlider(value=self.model.amount, min=0, max=self.max_amount, step=50,
                             description="amount (¢)", continuous_update=True,
                             layout=w.Layout(width="480px"))
        percent = w.FloatSlider(value=self.model.fee_percent, min=0, max=30, step=0.1,
                                description="platform %", readout_format=".1f",
                                layout=w.Layout(width="480px"))
        out = w.HTML()

        def show(_: Any = None) -> None:
            b = self.model.breakdown()
            out.value = _table_html([(name, f"{cents} ¢  {usd(cents)}")
                                     for name, cents in b.rows()], self.model.rule)

        amount.observe(lambda change: self.model.set(amount=change["new"]), names="value")
        percent.observe(lambda change: self.model.set(fee_percent=change["new"]), names="value")
        self.model.on_change(show)
        show()
        return w.VBox([amount, percent, out])

"""Notebook widgets, each a model (``models``: plain Python, no ipywidgets) and a view
(``views``: the ipywidgets around it), as jupyter-widgets/tutorial splits them."""

from .models import FeeBreakdown, FeeModel
from .views import FeeCalculator

__all__ = ["FeeBreakdown", "FeeCalculator", "FeeModel"]

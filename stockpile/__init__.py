"""stockpile: size strategic stockpiles of critical minerals (Pyomo + HiGHS).

The public Python API (see the README): load, solve, share, sweep, backtest, evaluate; their results hold pandas
DataFrames. The command line (`stockpile ...`) is a thin layer over these functions.
"""

from .analyses.sharing import RULES
from .api import Sharing, Sweep, Tested, backtest, evaluate, load, share, solve, sweep
from .common.version import VERSION
from .io.data import ModelData
from .io.problems import InputError, Problem
from .solver.pipeline import Infeasible, NoSolution
from .solver.results import Results

__version__ = VERSION

__all__ = ["RULES", "Infeasible", "InputError", "ModelData", "NoSolution", "Problem", "Results", "Sharing", "Sweep",
           "Tested", "__version__", "backtest", "evaluate", "load", "share", "solve", "sweep"]

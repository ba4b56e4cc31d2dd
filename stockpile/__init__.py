"""stockpile: size strategic stockpiles of critical minerals (Pyomo + HiGHS).

The public Python API (see the README): load, solve, share, sweep; their results hold pandas
DataFrames. The command line (`stockpile ...`) is a thin layer over these functions.
"""

from .api import Sharing, Sweep, load, share, solve, sweep
from .data import ModelData
from .pipeline import Infeasible, NoSolution
from .problems import InputError, Problem
from .results import Results
from .sharing import RULES

__all__ = ["RULES", "Infeasible", "InputError", "ModelData", "NoSolution", "Problem", "Results", "Sharing", "Sweep",
           "load", "share", "solve", "sweep"]

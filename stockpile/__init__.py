"""stockpile: size strategic stockpiles of critical minerals (Pyomo + HiGHS).

The public Python API (see the README): load, solve, share, sweep; their results hold pandas
DataFrames. The command line (`stockpile ...`) is a thin layer over these functions.
"""

from .api import Sharing, Sweep, load, share, solve, sweep
from .io.data import ModelData
from .solver.pipeline import Infeasible, NoSolution
from .io.problems import InputError, Problem
from .solver.results import Results
from .analyses.sharing import RULES

__all__ = ["RULES", "Infeasible", "InputError", "ModelData", "NoSolution", "Problem", "Results", "Sharing", "Sweep",
           "load", "share", "solve", "sweep"]

"""Deconstructing Autoencoders from Scratch: the code behind every number and figure of the series.

data -> models -> experiments -> train -> measures -> features, claims -> figures, in that direction;
pipeline/ is the build that runs it all. Importing the package pins the CPU code paths the numbers are
computed on (numerics.py), before torch or numpy loads, if neither has yet.
"""

from . import numerics

numerics.pin()

"""Deconstructing Autoencoders from Scratch: the code behind every number and figure of the series.

data -> models -> experiments -> train -> cache -> render -> build, in that direction only.
"""

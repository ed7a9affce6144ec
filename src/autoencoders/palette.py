"""Colours that mean the same thing wherever they appear: in the figures, the notebook and the Play page."""

# Paul Tol's "muted" scheme (distinguishable with the common colour-vision deficiencies) plus its
# pale grey, one colour per digit class, 0 to 9.
DIGIT_COLOURS = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933",
                 "#DDCC77", "#CC6677", "#882255", "#AA4499", "#777777")

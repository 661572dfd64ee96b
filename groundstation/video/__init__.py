"""Video and photos from the vehicles' cameras: discovery over the MAVLink camera protocol, RTP/
H.264 reception, decoding, relaying to browsers, recording and photo download."""

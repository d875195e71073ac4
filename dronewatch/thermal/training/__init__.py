"""Training the thermal person/vehicle detector from HIT-UAV (needs the ``[train]`` extra).

``python -m dronewatch.thermal.training --data ../shared/data/hit-uav --out
dronewatch/thermal/models`` trains, exports ONNX and calibrates on val; the modules
that score and decode (``evaluate``, ``hituav``) need only NumPy and OpenCV.
"""

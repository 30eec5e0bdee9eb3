"""aligned: the read and serve side -- CLI, warehouse build, report, SQL shell, validation, demo."""

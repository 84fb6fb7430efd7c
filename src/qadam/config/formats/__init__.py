"""Date and number formats for the languages Django has no formats for (Kazakh)."""

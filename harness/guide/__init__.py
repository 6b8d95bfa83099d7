"""Per-notebook glue, one module per guide step: ``onboarding_steps`` (01, 02),
``elements_checkout`` (04), ``hosted_checkout_steps`` (04b), ``webhook_steps`` (05),
``saved_card_steps`` (06), ``exercises`` (the checks at the end of each notebook) and
``widgets`` (08)."""

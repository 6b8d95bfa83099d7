# Exercise 02: Priya leaves Stripe's form early, then comes back through /onboard/refresh.
early = onboarding.complete_account_link(lab, platform, "ho_004", leave_early=True)
done = onboarding.complete_account_link(lab, platform, "ho_004", start="/onboard/refresh")
answer = onboarding.saved_account(platform, "ho_004")
done.details

"""The accounts' Celery task: a reset mail, sent by the worker with its retries."""

from celery import shared_task

from accounts.mail import password_reset_mails_send


# OSError covers smtplib's errors and a mail server that cannot be reached. A retry sends
# to every player of the request again: nearly always one, and a second link is harmless.
@shared_task(
    name="accounts.tasks.password_reset_mail",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def password_reset_mail(*, player_ids: list[int], domain: str, use_https: bool) -> int:
    return password_reset_mails_send(player_ids=player_ids, domain=domain, use_https=use_https)

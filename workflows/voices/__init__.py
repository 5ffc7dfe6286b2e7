"""One voice per job kind: typed facts and outcomes in, the exact texts of the job's thread out."""

{
  "targets": [
    {
      "target_name": "at",
      "sources": ["native/at.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror"]
    }
  ]
}

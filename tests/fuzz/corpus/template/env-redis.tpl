{{ range nomadService "redis-svc" }}REDIS_HOST={{ .Address }}
REDIS_PORT={{ .Port }}
{{ end }}
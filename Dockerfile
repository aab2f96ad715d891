FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY connectors ./connectors
COPY handlers ./handlers
COPY storage ./storage
RUN pip install --no-cache-dir .
ENV COSO_HOST=0.0.0.0
EXPOSE 8080
CMD ["coso", "serve"]

# Self-hosting: docker build -t adagrad-explained . && docker run -p 8501:8501 adagrad-explained
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY app.py ./
COPY .streamlit .streamlit
COPY adagrad_core adagrad_core
COPY adagrad_app adagrad_app
COPY pages pages
RUN useradd --create-home app
USER app
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health')"
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]

"""Installs minigrad (the engine), optim (optimizers) and models (networks)."""
from setuptools import find_packages, setup

setup(
    name="minigrad",
    version="0.1.0",
    description="A small NumPy/CuPy autodiff framework that makes curvature transparent",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="MIT",
    license_files=["LICENSE"],
    packages=find_packages(include=["minigrad", "minigrad.*", "optim", "optim.*",
                                    "models", "models.*"]),
    python_requires=">=3.9",
    install_requires=["numpy>=1.22", "scipy>=1.8", "matplotlib>=3.5", "tqdm>=4.60"],
    extras_require={"test": ["pytest>=7", "threadpoolctl>=3", "jupytext>=1.16", "nbclient>=0.10",
                             "nbformat>=5.9", "ipykernel>=6.29"],
                    "gpu": ["cupy-cuda12x>=13"], "mpi": ["mpi4py>=3.1"], "viz": ["graphviz>=0.20"],
                    "docs": ["mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.26",
                             "mkdocs-jupyter>=0.25", "jupytext>=1.16", "graphviz>=0.20"]},
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Intended Audience :: Education",
        "Intended Audience :: Science/Research",
        "License :: OSI Approved :: MIT License",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
        "Topic :: Scientific/Engineering :: Mathematics",
    ],
)

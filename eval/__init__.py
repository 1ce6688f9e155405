"""A realistic, non-MNIST evaluation set of digit images, and the script that scores a model on it."""

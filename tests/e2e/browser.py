"""A real headless Chromium (Debian's, driven through its chromedriver) for the page tests."""

from __future__ import annotations

from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import (
    ElementNotInteractableException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def start_browser(width: int = 1366, height: int = 900) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--lang=vi-VN",
        f"--window-size={width},{height}",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "vi-VN,vi"})
    # An explicit driver path: Selenium Manager would otherwise try to download one.
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, min(max(height + 120, 600), 4000))  # the whole page in one picture
    driver.save_screenshot(str(path))
    return path


def wait(driver, timeout: float = 15.0) -> WebDriverWait:
    return WebDriverWait(driver, timeout, poll_frequency=0.05)


def visible(driver, css: str, timeout: float = 15.0):
    return wait(driver, timeout).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), f"{css} visible")


def text_in(driver, css: str, text: str, timeout: float = 15.0) -> bool:
    return wait(driver, timeout).until(
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text), f"{text!r} in {css}"
    )


def search_catalogue(driver, words: str, timeout: float = 15.0) -> None:
    """Type into the counter's procedure search once the catalogue is listed (typed earlier, the
    words could be lost while the desk opens), and again if the box does not hold them."""
    visible(driver, "#proc-list li", timeout)

    def typed(d):
        try:
            box = d.find_element(By.CSS_SELECTOR, "#proc-search")
            if box.get_attribute("value") != words:
                box.clear()
                box.send_keys(words)
            return box.get_attribute("value") == words
        except (StaleElementReferenceException, ElementNotInteractableException):
            return False  # the desk is still opening

    wait(driver, timeout).until(typed, f"{words!r} in the procedure search")


def click(driver, css: str, timeout: float = 15.0) -> None:
    """Click the element once it is there and clickable; a list re-rendered meanwhile is looked up again."""

    def attempt(d):
        try:
            d.find_element(By.CSS_SELECTOR, css).click()
            return True
        except (StaleElementReferenceException, NoSuchElementException, ElementNotInteractableException):
            return False

    wait(driver, timeout).until(attempt, f"{css} clickable")


def sign_in(driver, username: str, password: str) -> None:
    visible(driver, "#username").send_keys(username)
    driver.find_element(By.CSS_SELECTOR, "#password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#sign-in-button").click()


__all__ = [
    "EC",
    "By",
    "Select",
    "click",
    "screenshot",
    "search_catalogue",
    "sign_in",
    "start_browser",
    "text_in",
    "visible",
    "wait",
]

package io.isthmus.launcher;

public final class Main {
    public static void main(String[] args) {
        System.out.println("isthmus launcher");
    }
}
